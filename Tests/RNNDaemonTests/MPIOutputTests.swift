@testable import RNNDaemon
import RNNTraining
import Testing

/// rnnd reads rank 0's reports from mpirun's `--tag-output` stream. Open MPI tags each chunk it reads from a
/// rank's pipe, so a line split across two reads carries a second tag in its middle; these are lines as
/// mpirun 4.1 printed them.
@Suite struct MPIOutputTests {
    @Test func aTagInTheMiddleOfALineIsRemovedToo() {
        #expect(MultiHostRun.untagged(#"[1,0]<stdout>:{"k":"ab[1,0]<stdout>:cd","i":10}"#) == #"{"k":"abcd","i":10}"#)
        #expect(MultiHostRun.untagged("[12,3]<stderr>:text") == "text")
        #expect(MultiHostRun.untagged("no tag at all") == "no tag at all")
    }

    @Test func aSplitReportIsStillAReport() throws {
        let line = try WorkerMessage.started(step: 7, ranks: 2).line
        let cut = line.index(line.startIndex, offsetBy: line.count / 2)
        let split = "[1,0]<stdout>:" + line[..<cut] + "[1,0]<stdout>:" + line[cut...]
        guard case .started(let step, let ranks)? = WorkerMessage(line: MultiHostRun.untagged(split)) else {
            Issue.record("not parsed: \(split)")
            return
        }
        #expect(step == 7 && ranks == 2)
    }
}
