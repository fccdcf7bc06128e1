import ArgumentParser
import Foundation
import RNNAPI

enum Terminal {
    static let isTTY = isatty(STDOUT_FILENO) == 1
    /// Colour only on a terminal, and never with NO_COLOR set.
    static let colour = isTTY && ProcessInfo.processInfo.environment["NO_COLOR"] == nil && ProcessInfo.processInfo.environment["TERM"] != "dumb"

    static func paint(_ text: String, _ code: String) -> String { colour ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }

    static func state(_ state: RunState) -> String {
        switch state {
        case .running: paint(state.rawValue, "32")
        case .completed: paint(state.rawValue, "36")
        case .failed: paint(state.rawValue, "31")
        case .cancelled, .interrupted: paint(state.rawValue, "33")
        case .queued, .paused: state.rawValue
        }
    }

    static func printJSON(_ value: some Encodable) throws {
        // A copy: the shared encoder's formatting stays as every other caller expects it.
        let encoder = APIJSON.makeEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }
}
