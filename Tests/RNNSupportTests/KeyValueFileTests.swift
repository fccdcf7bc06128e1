import RNNAPI
import Testing
import RNNSupport

@Suite struct KeyValueFileTests {
    func failure(_ text: String) -> String? {
        do { _ = try KeyValueFile.parse(text, file: "f.toml"); return nil } catch { return error.description }
    }

    @Test func readsValuesSectionsAndComments() throws {
        let text = """
            # a comment
            name = "a # not a comment" # a comment
            literal = 'C:\\path'
            escaped = "say \\"hi\\"\\n"
            steps = 1_000
            lr = 3e-4
            on = true
            columns = ["x", 'y z']
            empty = []

            [scheduler]
            workers = 2
            """
        let values = try KeyValueFile.parse(text, file: "f.toml")
        #expect(values == [
            "name": .string("a # not a comment"), "literal": .string("C:\\path"), "escaped": .string("say \"hi\"\n"),
            "steps": .int(1000), "lr": .double(0.0003), "on": .bool(true), "columns": .list(["x", "y z"]),
            "empty": .list([]), "scheduler.workers": .int(2),
        ])
    }

    @Test func errorsNameTheFileAndLine() {
        #expect(failure("a = 1\nhidden_size 128") == "f.toml:2: expected key = value")
        #expect(failure("cell = gru") == "f.toml:1: \"gru\" is not a string, number, boolean or list (quote strings: cell = \"gru\")")
        #expect(failure("a = 1\n\na = 2") == "f.toml:3: a is set twice")
        #expect(failure("[s]\nk = 1\n[s]\nk = 2") == "f.toml:4: s.k is set twice")
        #expect(failure("name = 'open") == "f.toml:1: unterminated string")
        #expect(failure("name = \"a\" b") == "f.toml:1: unexpected \"b\" after the string")
        #expect(failure("name = \"\\q\"")?.hasPrefix("f.toml:1: unsupported escape") == true)
        #expect(failure("cols = [\"a\", 2]") == "f.toml:1: a list holds quoted strings: [\"a\", \"b\"]")
        #expect(failure("cols = [\"a\"") == "f.toml:1: unterminated list")
        #expect(failure("[[table]]") == "f.toml:1: a section header is [name]")
        #expect(failure("[a b]")?.hasPrefix("f.toml:1: section name \"a b\"") == true)
        #expect(failure("my key = 1")?.hasPrefix("f.toml:1: \"my key\" is not a key") == true)
        #expect(failure("lr =") == "f.toml:1: lr has no value")
        #expect(failure("lr = nan")?.contains("is not a string, number") == true, "nan is not a number a user meant")
    }
}
