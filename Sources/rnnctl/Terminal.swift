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

    /// Prints `value` as JSON: indented, or on one line (`pretty: false`, for JSON Lines output).
    static func printJSON(_ value: some Encodable, pretty: Bool = true) throws {
        // A copy: the shared encoder's formatting stays as every other caller expects it.
        let encoder = APIJSON.makeEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted] : [.sortedKeys]
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    /// The columns of the terminal on standard error (where the progress line goes), read at each call so a
    /// resized window is followed; COLUMNS when that is not a terminal, else 80.
    static func columns() -> Int {
        var size = winsize()
        if ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        if let text = ProcessInfo.processInfo.environment["COLUMNS"], let n = Int(text), n > 0 { return n }
        return 80
    }

    /// The columns `text` takes on a terminal: wide (CJK, fullwidth, emoji) characters take two, combining
    /// marks and colour escapes (ESC [ … m) none.
    static func width(_ text: String) -> Int {
        var count = 0, inEscape = false
        for character in text {
            if character == "\u{1B}" { inEscape = true; continue }
            if inEscape { if character == "m" { inEscape = false }; continue }
            guard let first = character.unicodeScalars.first else { continue }
            count += isWide(first) ? 2 : 1  // a grapheme's combining marks add nothing
        }
        return count
    }

    /// East Asian Wide and Fullwidth ranges (Unicode's EastAsianWidth.txt, W and F), and emoji shown as emoji.
    static func isWide(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x1100...0x115F, 0x231A...0x231B, 0x2329...0x232A, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF,
             0x4E00...0x9FFF, 0xA000...0xA4CF, 0xA960...0xA97F, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE10...0xFE19,
             0xFE30...0xFE6F, 0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x1F300...0x1F64F, 0x1F900...0x1F9FF,
             0x20000...0x2FFFD, 0x30000...0x3FFFD:
            return true
        default:
            return scalar.properties.isEmojiPresentation
        }
    }

    /// `text` cut to at most `columns` terminal columns.
    static func truncate(_ text: String, toWidth columns: Int) -> String {
        guard width(text) > columns else { return text }
        var out = ""
        for character in text {
            if width(out + String(character)) > columns { break }
            out.append(character)
        }
        return out
    }

    /// Runs `handler` on Ctrl-C (SIGINT) instead of dying at once, until the returned source is cancelled.
    static func onInterrupt(_ handler: @escaping @Sendable () -> Void) -> any DispatchSourceSignal {
        signal(SIGINT, SIG_IGN)  // the source sees the signal only once its default action is off
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler(handler: handler)
        source.setCancelHandler { signal(SIGINT, SIG_DFL) }
        source.resume()
        return source
    }
}
