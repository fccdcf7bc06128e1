import Foundation
@testable import RNNDaemon
import RNNSupport
import Testing

/// The state directory's files: a checkpoint row is made only from a complete file, hashed once; files whose
/// rows are gone are removed.
@Suite struct StateDirectoryTests {
    @Test func aCheckpointFileIsRecordedOnlyWhenCompleteAndIsHashedFromItsBytes() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("rnnd-state-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: root) }
        let directory = StateDirectory(root)
        let relative = StateDirectory.checkpointPath(runID: 3, step: 10)
        #expect(relative == "checkpoints/3/10.ckpt")
        try FileManager.default.createDirectory(at: directory.checkpointFolder(runID: 3), withIntermediateDirectories: true)
        func refusal() -> String? {
            do { _ = try directory.checkpointFile(relative, size: 100); return nil } catch let error as DaemonError { return error.message } catch { return "\(error)" }
        }
        #expect(refusal() == "checkpoint file \(directory.url(relative).path) is missing or not 100 bytes; not recorded", "a missing file")
        try Data(count: 60).write(to: directory.url(relative))  // an interrupted write: fewer bytes than the checkpoint
        #expect(refusal() == "checkpoint file \(directory.url(relative).path) is missing or not 100 bytes; not recorded", "a partial file")
        let bytes = Data((0..<100).map { UInt8($0) })
        try bytes.write(to: directory.url(relative))
        let file = try directory.checkpointFile(relative, size: 100)
        #expect(file.size == 100 && file.sha256 == SHA256Hex.hex(Array(bytes)), "the hash of the file's bytes")

        #expect(directory.removeFiles([relative, "checkpoints/3/missing.ckpt"]).isEmpty, "a file already gone is not a failure")
        #expect(!FileManager.default.fileExists(atPath: directory.url(relative).path))
    }
}

/// The web view's asset table serves every file of assets/ and names no other; every module a module
/// imports is in it.
@Suite struct WebViewAssetTests {
    @Test func theAssetTableIsTheAssetsFolder() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Sources/RNNDaemon/WebView/assets").standardized
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: folder.path))
        #expect(Set(WebViewController.assets.keys) == files)
        for (name, asset) in WebViewController.assets where name.hasSuffix(".js") {
            #expect(asset.bytes == Array(try Data(contentsOf: folder.appendingPathComponent(name))), "\(name) is the compiled-in copy")
            let text = String(decoding: asset.bytes, as: UTF8.self)
            for line in text.split(separator: "\n") where line.hasPrefix("import ") {
                let target = line.split(separator: "'").dropFirst().first.map { String($0.dropFirst(2)) } ?? ""
                #expect(WebViewController.assets[target] != nil, "\(name) imports \(target), which is not served")
            }
        }
    }
}
