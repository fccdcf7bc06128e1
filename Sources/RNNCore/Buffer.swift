/// A fixed-size, zero-initialised block of scalars with a stable address.
///
/// `@unchecked Sendable`: a buffer is owned by one replica (one serial worker queue) at a time, or, for the
/// shared parameters, written only between steps while no replica reads it; the trainer orders those
/// phases, the type cannot.
public final class Buffer<Scalar: RNNScalar>: @unchecked Sendable {
    public let count: Int
    public let pointer: UnsafeMutablePointer<Scalar>

    public init(count: Int) {
        precondition(count >= 0)
        self.count = count
        // 64-byte alignment: whole cache lines and aligned SIMD loads for BLAS and the kernels.
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: max(count, 1) * MemoryLayout<Scalar>.stride, alignment: 64)
        pointer = raw.bindMemory(to: Scalar.self, capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    public convenience init(_ values: [Scalar]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: values.count) }
    }

    deinit { UnsafeMutableRawPointer(pointer).deallocate() }

    public var buffer: UnsafeMutableBufferPointer<Scalar> { .init(start: pointer, count: count) }
    public var array: [Scalar] { Array(buffer) }

    public func zero() { pointer.update(repeating: 0, count: count) }

    public subscript(index: Int) -> Scalar {
        get { pointer[index] }
        set { pointer[index] = newValue }
    }
}
