import Foundation
import Hummingbird
import NIOCore
import RNNAPI
import RNNStore
import RNNTraining

/// The control API's routes (openapi.yaml documents them; a test keeps the two in step).
struct Routes {
    let control: RunControl
    let settings: DaemonSettings
    var store: Store { control.store }
    var hub: EventHub { control.hub }

    func add(to router: Router<DaemonContext>) {
        router.add(middleware: ErrorMiddleware())
        router.get("/healthz") { _, _ in
            let counts = try store.runCounts()
            return JSONResponse.make(HealthInfo(status: "ok", version: APIVersion.current, queued: counts[.queued] ?? 0,
                                                running: counts[.running] ?? 0))
        }
        router.get("/openapi.yaml") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/yaml"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: OpenAPIDocument.yaml)))
        }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: try PrometheusText.render(store: store, hub: hub))))
        }

        router.get("/v1/backup") { _, _ in try await backup() }
        router.post("/v1/datasets") { request, context in try await upload(request, context) }
        router.get("/v1/datasets/:sha256") { _, context in
            let record = try control.dataset(sha256: try context.parameters.require("sha256"))
            return JSONResponse.make(Self.datasetInfo(record))
        }

        router.post("/v1/runs") { request, context in
            let body = try await request.decode(SubmitRequest.self, limit: context.maxUploadSize)
            return JSONResponse.make(try await control.submit(body, uid: await context.peerUID()), status: .created)
        }
        router.get("/v1/runs") { request, _ in
            let q = request.uri.queryParameters
            let limit = try Self.integer(q.get("limit"), "limit", default: 50, range: 1...10_000)
            let offset = try Self.integer(q.get("offset"), "offset", default: 0, range: 0...Int.max)
            let sort = q.get("sort").map { $0.split(separator: ",").map(String.init) } ?? ["-submitted"]
            var datasets: [Int64: String] = [:]
            let runs = try store.listRuns(filter: q.get("filter"), sort: sort, limit: limit, offset: offset)
                .map { try control.info($0.run, datasets: &datasets) }
            return JSONResponse.make(RunList(runs: runs))
        }
        router.get("/v1/runs/:id") { _, context in JSONResponse.make(try control.detail(try Self.runID(context))) }
        router.delete("/v1/runs/:id") { _, context in
            try control.delete(try Self.runID(context))
            return Response(status: .noContent)
        }
        router.post("/v1/runs/:id/cancel") { _, context in
            JSONResponse.make(try control.cancel(try Self.runID(context), uid: await context.peerUID()))
        }
        router.post("/v1/runs/:id/pause") { _, context in
            JSONResponse.make(try control.pause(try Self.runID(context), uid: await context.peerUID()))
        }
        router.post("/v1/runs/:id/resume") { _, context in
            JSONResponse.make(try control.resume(try Self.runID(context), uid: await context.peerUID()))
        }
        router.post("/v1/runs/:id/fork") { request, context in
            let body = try await request.decode(ForkRequest.self, limit: context.maxUploadSize)
            return JSONResponse.make(try control.fork(try Self.runID(context), body, uid: await context.peerUID()), status: .created)
        }
        router.get("/v1/runs/:id/metrics/:name") { request, context in
            let id = try Self.runID(context)
            _ = try control.record(id)
            let name = try context.parameters.require("name")
            let q = request.uri.queryParameters
            let maxPoints = try q.get("max_points").map { try Self.integer($0, "max_points", default: 0, range: 2...1_000_000) }
            let from = try Self.integer(q.get("from"), "from", default: 0, range: 0...Int.max)
            let to = try Self.integer(q.get("to"), "to", default: Int.max, range: from...Int.max)
            let points = try store.series(runID: id, name: name, steps: from...to, maxPoints: maxPoints)
            return JSONResponse.make(Series(run: id, name: name, points: points.map { SeriesPointInfo(step: $0.step, value: $0.value) }))
        }
        router.get("/v1/runs/:id/checkpoints") { _, context in
            let id = try Self.runID(context)
            _ = try control.record(id)
            return JSONResponse.make(try store.checkpoints(runID: id).map(RunControl.checkpoint))
        }
        router.get("/v1/runs/:id/events") { _, context in
            let id = try Self.runID(context)
            _ = try control.record(id)
            return JSONResponse.make(try store.events(runID: id).map(RunControl.event))
        }
        router.get("/v1/runs/:id/export") { request, context in
            let (model, step) = try await control.model(of: try Self.runID(context), request.uri.queryParameters.get("checkpoint"))
            let bytes = model.safetensors()
            return Response(status: .ok, headers: [.contentType: "application/octet-stream", .contentDisposition: "attachment; filename=\"step-\(step).safetensors\""],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        router.post("/v1/runs/:id/sample") { request, context in
            let body = try await request.decode(SampleRequest.self, limit: context.maxUploadSize)
            let (model, step) = try await control.model(of: try Self.runID(context), body.checkpoint)
            if let seed = body.seed, seed < 0 { throw APIFailure.badRequest("seed must not be negative", field: "seed") }
            let text = try await offload {
                try model.sample(prime: body.prime, length: body.length, temperature: body.temperature ?? 1, topK: body.topK,
                                 seed: UInt64(body.seed ?? 1))
            }
            return JSONResponse.make(SampleResponse(text: text, checkpointStep: step))
        }
        router.post("/v1/runs/:id/forecast") { request, context in
            let id = try Self.runID(context)
            let body = try await request.decode(ForecastRequest.self, limit: context.maxUploadSize)
            let (model, step) = try await control.model(of: id, body.checkpoint)
            let dataset = try body.dataset.map { try control.dataset(sha256: $0) } ?? store.dataset(id: try control.record(id).datasetID)!
            let bytes = try control.datasetBytes(dataset)
            let values = try await offload { try model.forecast(csv: bytes, name: dataset.name, steps: body.steps) }
            return JSONResponse.make(ForecastResponse(columns: model.metadata.targetColumns ?? [], values: values, checkpointStep: step))
        }
        router.post("/v1/runs/:id/evaluate") { request, context in
            let body = try await request.decode(EvaluateRequest.self, limit: context.maxUploadSize)
            let dataset = try control.dataset(sha256: body.dataset)
            let (model, step) = try await control.model(of: try Self.runID(context), body.checkpoint)
            let bytes = try control.datasetBytes(dataset)
            let result = try await offload {
                let kind = dataset.kind
                return kind == .text ? try model.evaluate(text: bytes, name: dataset.name) : try model.evaluate(data: bytes, name: dataset.name, kind: kind)
            }
            return JSONResponse.make(EvaluateResponse(loss: result.loss, bitsPerChar: result.bitsPerChar, accuracy: result.accuracy,
                                                      count: result.count, checkpointStep: step))
        }
        router.get("/v1/runs/:id/stream") { _, context in try stream(try Self.runID(context)) }
        router.get("/v1/compare") { request, _ in
            guard let list = request.uri.queryParameters.get("runs") else { throw APIFailure.badRequest("give runs=ID,ID,…", field: "runs") }
            let ids = try list.split(separator: ",").map { part -> Int64 in
                guard let id = Int64(part) else { throw APIFailure.badRequest("\"\(part)\" is not a run id", field: "runs") }
                return id
            }
            guard ids.count >= 2 else { throw APIFailure.badRequest("compare needs at least two runs", field: "runs") }
            for id in ids { _ = try control.record(id) }
            let comparison = try store.compare(runIDs: ids)
            var datasets: [Int64: String] = [:]
            return JSONResponse.make(Comparison(
                runs: try comparison.runs.map { try control.info($0, datasets: &datasets) },
                differences: comparison.differences.mapValues { $0.map { $0.map(Self.value) } },
                metrics: comparison.summaries.map { $0.map(RunControl.summary) }))
        }
    }

    static func value(_ v: HyperValue) -> APIValue {
        switch v {
        case .number(let n): n == n.rounded() && abs(n) < 1e15 ? .int(Int(n)) : .double(n)
        case .text(let t): .string(t)
        }
    }

    static func runID(_ context: DaemonContext) throws -> Int64 {
        let text = try context.parameters.require("id")
        guard let id = Int64(text), id > 0 else { throw APIFailure.badRequest("\"\(text)\" is not a run id", field: "id") }
        return id
    }

    static func integer(_ text: String?, _ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text else { return value }
        guard let v = Int(text), range.contains(v) else {
            throw APIFailure.badRequest("\(name) must be an integer in \(range.lowerBound)…\(range.upperBound == Int.max ? "" : String(range.upperBound)), got \"\(text)\"", field: name)
        }
        return v
    }

    static func datasetInfo(_ r: DatasetRecord) -> DatasetInfo {
        DatasetInfo(sha256: r.sha256, name: r.name, kind: r.kind, size: r.size, createdAt: r.createdAt)
    }

    /// Streams the body to datasets/ while hashing it, within the upload limit; content-addressed and
    /// deduplicated: the same bytes uploaded twice are stored once.
    func upload(_ request: Request, _ context: DaemonContext) async throws -> Response {
        let q = request.uri.queryParameters
        guard let name = q.get("name"), !name.isEmpty, name.count <= 200, !name.contains("/") else {
            throw APIFailure.badRequest("name must have 1 to 200 characters and no /", field: "name")
        }
        guard let kind = q.get("kind").flatMap(DatasetKind.init(rawValue:)) else {
            throw APIFailure.badRequest("kind must be one of \(DatasetKind.allCases.map(\.rawValue).joined(separator: ", "))", field: "kind")
        }
        let directory = store.stateDirectory.appendingPathComponent("datasets")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let partial = directory.appendingPathComponent(".upload-\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: partial.path, contents: nil), let handle = FileHandle(forWritingAtPath: partial.path) else {
            throw APIFailure(.internalServerError, "cannot create a file in \(directory.path)")
        }
        var hasher = SHA256Hex()
        var size = 0
        var utf8 = UTF8Check()
        do {
            defer { try? handle.close() }
            for try await buffer in request.body {
                size += buffer.readableBytes
                guard size <= settings.maxUploadBytes else {
                    throw APIFailure(.contentTooLarge, "the upload is larger than api.max_upload_bytes (\(settings.maxUploadBytes) bytes)")
                }
                let bytes = buffer.readableBytesView
                hasher.update(bytes)
                if kind == .text { utf8.feed(bytes) }
                try handle.write(contentsOf: Data(bytes))
            }
            try handle.synchronize()
            guard size > 0 else { throw APIFailure.badRequest("the upload is empty", field: "body") }
            if kind == .text, let offset = utf8.finish() {
                throw APIFailure.badRequest("\(name) is not UTF-8 text: invalid byte sequence at offset \(offset)", field: "body")
            }
        } catch {
            removePartial(partial)
            throw error
        }
        let sha = hasher.finalize()
        let target = directory.appendingPathComponent(sha)
        let existed = FileManager.default.fileExists(atPath: target.path)
        if existed {
            removePartial(partial)
        } else {
            try FileManager.default.moveItem(at: partial, to: target)
            chmod(target.path, 0o440)
        }
        let before = try store.dataset(sha256: sha)
        let record = try store.addDataset(sha256: sha, name: name, kind: kind, size: Int64(size), path: "datasets/\(sha)")
        return JSONResponse.make(Self.datasetInfo(record), status: before == nil ? .created : .ok)
    }

    /// Removes an upload's temporary file; a failure is logged (it is only disk space, never a dataset).
    func removePartial(_ url: URL) {
        guard FileManager.default.fileExists(atPath: url.path) else { return }
        do { try FileManager.default.removeItem(at: url) } catch {
            control.scheduler.logger.warning("cannot remove the temporary upload \(url.path): \(error)")
        }
    }

    /// An online, consistent copy of the database (VACUUM INTO a file in the state directory, sent, then
    /// removed): safe while runs train, unlike a copy of the live file.
    func backup() async throws -> Response {
        let file = store.stateDirectory.appendingPathComponent(".backup-\(UUID().uuidString).sqlite")
        defer { removePartial(file) }
        try await offload { [store] in try store.backup(to: file.path) }
        let bytes = try Data(contentsOf: file)
        return Response(status: .ok, headers: [.contentType: "application/vnd.sqlite3", .contentDisposition: "attachment; filename=\"rnnd-backup.sqlite\""],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// Server-Sent Events: the run's current state first, then every report until the run ends.
    func stream(_ id: Int64) throws -> Response {
        let record = try control.record(id)
        let events = hub.subscribe(runID: id)  // before reading the state, so nothing falls between
        let current = try control.info(record)
        @Sendable func frame(_ event: ProgressEvent) -> ByteBuffer {
            let json = (try? APIJSON.encoder.encode(event)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
            return ByteBuffer(string: "event: \(event.kind.rawValue)\ndata: \(json)\n\n")
        }
        let first = ProgressEvent(kind: .state, step: current.step, epoch: current.epoch, trainLoss: current.trainLoss,
                                  state: current.state, message: "current state")
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: ResponseBody { writer in
            try await writer.write(frame(first))
            if !current.isFinal {
                for await event in events { try await writer.write(frame(event)) }
            }
            try await writer.finish(nil)
        })
    }
}

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
