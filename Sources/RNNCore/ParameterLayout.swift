/// One named tensor inside the flat parameter buffer.
public struct TensorView: Equatable, Sendable {
    /// PyTorch state_dict name of the equivalent torch.nn model (`lstm.weight_ih_l0`, `head.bias`, …).
    public let name: String
    /// Row-major shape, as in PyTorch.
    public let shape: [Int]
    /// First element in the flat buffer.
    public let offset: Int
    public var count: Int { shape.reduce(1, *) }
    public var range: Range<Int> { offset..<(offset + count) }
}

/// Where every tensor of a network lives in its one flat parameter buffer (and, identically, in the
/// gradient buffer and every optimizer state buffer), so that the all-reduce and the optimizer are single
/// passes over contiguous memory.
///
/// Order: `embedding.weight`, then per layer `weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`, then
/// `head.weight`, `head.bias`. Shapes are PyTorch's: weight_ih is [gates·H, D], weight_hh [gates·H, H].
public struct ParameterLayout: Equatable, Sendable {
    public let tensors: [TensorView]
    public let count: Int

    public init(spec: NetworkSpec) {
        var tensors: [TensorView] = []
        var offset = 0
        func add(_ name: String, _ shape: [Int]) {
            let view = TensorView(name: name, shape: shape, offset: offset)
            tensors.append(view)
            offset += view.count
        }
        if case .tokens(let v, let e) = spec.input { add("embedding.weight", [v, e]) }
        let prefix = spec.cell.rawValue
        let g = spec.cell.gateCount * spec.hiddenSize
        for l in 0..<spec.layers {
            add("\(prefix).weight_ih_l\(l)", [g, spec.inputWidth(ofLayer: l)])
            add("\(prefix).weight_hh_l\(l)", [g, spec.hiddenSize])
            add("\(prefix).bias_ih_l\(l)", [g])
            add("\(prefix).bias_hh_l\(l)", [g])
        }
        add("head.weight", [spec.outputSize, spec.hiddenSize])
        add("head.bias", [spec.outputSize])
        self.tensors = tensors
        self.count = offset
    }

    /// The tensor with this name; a programmer error if there is none.
    public subscript(name: String) -> TensorView {
        guard let view = tensors.first(where: { $0.name == name }) else {
            preconditionFailure("no tensor named \(name)")
        }
        return view
    }
}
