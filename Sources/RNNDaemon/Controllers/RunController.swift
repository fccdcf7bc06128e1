import Foundation
import Hummingbird
import RNNAPI
import RNNStore

/// Runs as records: submit, list, one run in full, edit, delete, and the comparison of several.
struct RunController {
    let store: Store, catalog: RunCatalog, runs: RunService

    @Sendable func submit(_ request: Request, context: DaemonContext) async throws -> Response {
        let body = try await request.decode(SubmitRequest.self, limit: context.maxUploadSize)
        return JSONResponse.make(try await runs.submit(body, uid: await context.peerUID()), status: .created)
    }

    @Sendable func list(_ request: Request, context: DaemonContext) async throws -> Response {
        let q = try request.formQuery()
        let limit = try QueryValue.integer(q.get("limit"), "limit", default: 50, range: 1...10_000)
        let offset = try QueryValue.integer(q.get("offset"), "offset", default: 0, range: 0...Int.max)
        let sort = q.get("sort").map { $0.split(separator: ",").map(String.init) } ?? ["-submitted"]
        // metrics=val_loss,grad_norm: each run also carries those metrics' summaries (the web view's columns).
        let metricNames = q.get("metrics").map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } } ?? []
        if metricNames.count > 20 || metricNames.contains(where: \.isEmpty) {
            throw APIFailure.badRequest("metrics: a comma-separated list of at most 20 metric names", field: "metrics")
        }
        var datasets: [Int64: String] = [:]
        var runs = try store.listRuns(filter: q.get("filter"), sort: sort, limit: limit, offset: offset)
            .map { try catalog.info($0.run, datasets: &datasets) }
        if !metricNames.isEmpty {
            let summaries = try store.summaries(runIDs: runs.map(\.id), names: metricNames)
            for i in runs.indices { runs[i].metrics = summaries[runs[i].id] ?? [] }
        }
        return JSONResponse.make(RunList(runs: runs))
    }

    @Sendable func get(_ request: Request, context: DaemonContext) async throws -> Response {
        JSONResponse.make(try catalog.detail(try context.runID()))
    }

    @Sendable func edit(_ request: Request, context: DaemonContext) async throws -> Response {
        let body = try await request.decode(EditRequest.self, limit: context.maxUploadSize)
        return JSONResponse.make(try runs.edit(try context.runID(), body, uid: await context.peerUID()))
    }

    @Sendable func delete(_ request: Request, context: DaemonContext) async throws -> Response {
        try runs.delete(try context.runID(), force: try QueryValue.boolean(try request.formQuery().get("force"), "force", default: false))
        return Response(status: .noContent)
    }

    @Sendable func compare(_ request: Request, context: DaemonContext) async throws -> Response {
        guard let list = (try request.formQuery()).get("runs") else { throw APIFailure.badRequest("give runs=ID,ID,…", field: "runs") }
        let ids = try list.split(separator: ",").map { part -> Int64 in
            guard let id = Int64(part) else { throw APIFailure.badRequest("\"\(part)\" is not a run id", field: "runs") }
            return id
        }
        guard ids.count >= 2 else { throw APIFailure.badRequest("compare needs at least two runs", field: "runs") }
        for id in ids { _ = try catalog.record(id) }
        let comparison = try store.compare(runIDs: ids)
        var datasets: [Int64: String] = [:]
        return JSONResponse.make(Comparison(
            runs: try comparison.runs.map { try catalog.info($0, datasets: &datasets) },
            differences: comparison.differences.mapValues { $0.map { $0.map(APIValue.init) } },
            metrics: comparison.summaries))
    }
}
