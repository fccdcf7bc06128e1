import Foundation
import RNNAPI
import RNNCore
import RNNMPI
import RNNTraining

/// One rank of a multi-host run, started by rnnd through mpirun (one rank per host). Rank 0 runs beside
/// rnnd's store: it reads the configuration, the dataset and the checkpoint to resume from, and broadcasts
/// their bytes, so other hosts need only this binary — no shared file system. Every rank then trains its
/// share of each minibatch; rank 0 writes the checkpoints and reports to rnnd as JSON lines on stdout
/// (`WorkerMessage`); with --stdin-control it stops at a step boundary when a line `stop` (a checkpoint to
/// resume from) or `cancel` (the run's final checkpoint) arrives.
///
/// Exit status: 0 when training ended (completed or stopped: the last line says which); 2 for a job rnnd
/// could not have meant (bad arguments, unreadable files, a configuration or dataset the trainer refuses);
/// 3 when training failed (diverged, a checkpoint that cannot be written); 75 when a collective did not
/// complete within the rank timeout (a host or the network is gone); 70 when rnnd closed its stdin.
@main
enum Worker {
    struct Arguments {
        var config = "", dataset = "", kind = DatasetKind.text, name = "", checkpoints = "", resume: String?
        var rankTimeout = 120.0
        /// rnnd's control: a line `stop` on stdin stops the run at a step boundary; the end of stdin means rnnd
        /// is gone, and the ranks end at once (nobody would record what they do next).
        var stdinControl = false
    }

    static func main() {
        // OpenBLAS fell back to its generic kernels on a CPU it does not know (BLAS.recommendedCoreType): start again
        // with the right ones named. Never loops: the variable is set from then on.
        if getenv("OPENBLAS_CORETYPE") == nil, let core = BLAS.recommendedCoreType {
            setenv("OPENBLAS_CORETYPE", core, 1)
            execv("/proc/self/exe", CommandLine.unsafeArgv)
        }
        BLAS.setThreads(1)
        let arguments: Arguments
        do { arguments = try parse(Array(CommandLine.arguments.dropFirst())) } catch {
            fail("\(error)", status: 2)
        }
        let hosts: MPIHostGroup
        do { hosts = try MPIHostGroup(timeout: arguments.rankTimeout) } catch { fail("\(error)", status: 2) }
        let reporting = hosts.rank == 0
        let report: @Sendable (WorkerMessage) -> Void = { message in
            guard reporting, let line = try? message.line else { return }
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }
        report(.connected(ranks: hosts.count))
        do {
            // Rank 0 reads; a failure there must end every rank (they wait in the broadcast), hence MPI_Abort.
            var config: [UInt8] = [], dataset: [UInt8] = [], checkpoint: [UInt8] = []
            if reporting {
                do {
                    config = try read(arguments.config)
                    dataset = try read(arguments.dataset)
                    checkpoint = try arguments.resume.map(read) ?? []
                } catch {
                    report(.failed(code: "io", message: "\(error)"))
                    hosts.abort(status: 2)
                }
            }
            config = try hosts.broadcast(config)
            dataset = try hosts.broadcast(dataset)
            checkpoint = try hosts.broadcast(checkpoint)
            let trainer: Trainer
            do {
                let runConfig = try RunConfig(json: Data(config))
                let resume = checkpoint.isEmpty ? nil : try Checkpoint(bytes: checkpoint, name: arguments.resume ?? "checkpoint")
                let data = try DatasetLoader.load(kind: arguments.kind, bytes: dataset, name: arguments.name, config: runConfig, resuming: resume)
                trainer = try Trainer(config: runConfig, data: data,
                                      checkpointDirectory: reporting ? URL(fileURLWithPath: arguments.checkpoints) : nil,
                                      resumeFrom: resume, deletesOldCheckpoints: false, hosts: hosts) { event in
                    report(.event(event))
                }
            } catch let error as TrainingError {
                // Every rank refuses the same job the same way; rank 0 says why.
                report(.failed(code: "\(error.code)", message: error.message))
                hosts.finish()
                exit(2)
            }
            report(.started(step: trainer.state.step, ranks: hosts.count))
            let control = TrainingControl()
            if reporting && arguments.stdinControl { readStopRequests(control) }
            let outcome = try trainer.run(control: control)
            report(.outcome(outcome))
            hosts.finish()
            exit(0)
        } catch let error as TrainingError {
            report(.failed(code: "\(error.code)", message: error.message))
            hosts.abort(status: 3)
        } catch {
            report(.failed(code: "mpi", message: "\(error)"))
            hosts.abort(status: 3)
        }
    }

    /// A line `stop` on stdin asks the run to stop at the next step boundary; the end of stdin (rnnd is gone)
    /// ends this rank at once, and mpirun then ends the others.
    static func readStopRequests(_ control: TrainingControl) {
        let thread = Thread {
            while let line = readLine() {
                switch line.trimmingCharacters(in: .whitespaces) {
                case "stop": control.requestStop(); return
                case "cancel": control.requestStop(final: true); return
                default: continue
                }
            }
            FileHandle.standardError.write(Data("rnnd-worker: stdin closed (rnnd is gone): ending the run's ranks\n".utf8))
            _exit(70)
        }
        thread.name = "rnnd-worker-stdin"
        thread.start()
    }

    static func read(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else { throw WorkerError("cannot read \(path)") }
        return Array(data)
    }

    static func parse(_ arguments: [String]) throws -> Arguments {
        var out = Arguments()
        var rest = arguments[...]
        while let flag = rest.popFirst() {
            if flag == "--stdin-control" {
                out.stdinControl = true
                continue
            }
            guard let value = rest.popFirst() else { throw WorkerError("\(flag) needs a value") }
            switch flag {
            case "--config": out.config = value
            case "--dataset": out.dataset = value
            case "--kind":
                guard let kind = DatasetKind(rawValue: value) else { throw WorkerError("--kind: \(value) is not text, csv or jsonl") }
                out.kind = kind
            case "--name": out.name = value
            case "--checkpoints": out.checkpoints = value
            case "--resume": out.resume = value
            case "--rank-timeout":
                guard let seconds = Double(value), seconds > 0 else { throw WorkerError("--rank-timeout: \(value) is not a positive number of seconds") }
                out.rankTimeout = seconds
            default: throw WorkerError("unknown argument \(flag) (rnnd-worker is started by rnnd through mpirun)")
            }
        }
        for (flag, value) in [("--config", out.config), ("--dataset", out.dataset), ("--checkpoints", out.checkpoints)] where value.isEmpty {
            throw WorkerError("\(flag) is required")
        }
        return out
    }

    static func fail(_ message: String, status: Int32) -> Never {
        FileHandle.standardError.write(Data("rnnd-worker: \(message)\n".utf8))
        exit(status)
    }
}

struct WorkerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
