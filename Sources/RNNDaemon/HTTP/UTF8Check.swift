import Foundation

/// Checks that a byte stream is UTF-8, chunk by chunk (a character may straddle two chunks).
struct UTF8Check {
    private var pending: [UInt8] = []
    private var offset = 0
    private(set) var invalidAt: Int?

    mutating func feed(_ bytes: some Collection<UInt8>) {
        guard invalidAt == nil else { return }
        pending.append(contentsOf: bytes)
        // Keep an incomplete trailing sequence (at most 3 bytes) for the next chunk.
        var cut = pending.count
        var back = 0
        while back < 3 && cut > 0 && (pending[cut - 1] & 0xC0) == 0x80 { cut -= 1; back += 1 }
        if cut > 0 && pending[cut - 1] >= 0xC0 { cut -= 1 } else { cut = pending.count }
        check(pending[..<cut])
        offset += cut
        pending.removeFirst(cut)
    }

    mutating func finish() -> Int? {
        check(pending[...])
        return invalidAt
    }

    private mutating func check(_ bytes: ArraySlice<UInt8>) {
        guard invalidAt == nil, String(validating: bytes, as: UTF8.self) == nil else { return }
        var iterator = bytes.makeIterator()
        var decoder = Unicode.UTF8()
        var position = 0
        loop: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let s): position += String(s).utf8.count
            case .emptyInput: break loop
            case .error: invalidAt = offset + position; break loop
            }
        }
    }
}
