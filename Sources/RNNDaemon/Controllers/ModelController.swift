import Foundation
import Hummingbird
import NIOCore
import RNNAPI
import RNNStore
import RNNTraining

/// A run's trained model, from one of its checkpoints: export, sample, forecast, evaluate. The work runs
/// off the server's event loops.
struct ModelController {
    let models: ModelService, datasets: DatasetService, catalog: RunCatalog

    @Sendable func export(_ request: Request, context: DaemonContext) async throws -> Response {
        let which = try (try request.formQuery()).get("checkpoint").map { text in
            guard let choice = CheckpointChoice(text: text) else { throw APIFailure.badRequest(CheckpointChoice.refusal(text), field: "checkpoint") }
            return choice
        }
        let (model, step) = try await models.model(of: try context.runID(), which)
        let bytes = model.safetensors()
        return Response(status: .ok, headers: [.contentType: "application/octet-stream", .contentDisposition: "attachment; filename=\"step-\(step).safetensors\""],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    @Sendable func sample(_ request: Request, context: DaemonContext) async throws -> Response {
        let body = try await request.decode(SampleRequest.self, limit: context.maxUploadSize)
        let (model, step) = try await models.model(of: try context.runID(), body.checkpoint)
        if let seed = body.seed, seed < 0 { throw APIFailure.badRequest("seed must not be negative", field: "seed") }
        let text = try await offload {
            try model.sample(prime: body.prime, length: body.length, temperature: body.temperature ?? 1, topK: body.topK,
                             seed: UInt64(body.seed ?? 1))
        }
        return JSONResponse.make(SampleResponse(text: text, checkpointStep: step))
    }

    @Sendable func forecast(_ request: Request, context: DaemonContext) async throws -> Response {
        let id = try context.runID()
        let body = try await request.decode(ForecastRequest.self, limit: context.maxUploadSize)
        let (model, step) = try await models.model(of: id, body.checkpoint)
        let dataset = try body.dataset.map { try datasets.find(sha256: $0, inBody: true) } ?? datasets.of(try catalog.record(id))
        let bytes = try datasets.bytes(dataset)
        let values = try await offload { try model.forecast(csv: bytes, name: dataset.name, steps: body.steps) }
        return JSONResponse.make(ForecastResponse(columns: model.metadata.targetColumns ?? [], values: values, checkpointStep: step))
    }

    @Sendable func predict(_ request: Request, context: DaemonContext) async throws -> Response {
        let body = try await request.decode(PredictRequest.self, limit: context.maxUploadSize)
        let dataset = try datasets.find(sha256: body.dataset, inBody: true)
        guard dataset.kind == .jsonl else {
            throw APIFailure.badRequest("predict reads JSON Lines examples; dataset \(dataset.name) is \(dataset.kind.rawValue) (use forecast for series, sample for text)", field: "dataset")
        }
        let (model, step) = try await models.model(of: try context.runID(), body.checkpoint)
        let bytes = try datasets.bytes(dataset)
        let predictions = try await offload { try model.predict(data: bytes, name: dataset.name, topK: body.topK ?? 3) }
        return JSONResponse.make(PredictResponse(predictions: predictions, checkpointStep: step))
    }

    @Sendable func evaluate(_ request: Request, context: DaemonContext) async throws -> Response {
        let body = try await request.decode(EvaluateRequest.self, limit: context.maxUploadSize)
        let dataset = try datasets.find(sha256: body.dataset, inBody: true)
        let (model, step) = try await models.model(of: try context.runID(), body.checkpoint)
        let bytes = try datasets.bytes(dataset)
        let result = try await offload {
            dataset.kind == .text ? try model.evaluate(text: bytes, name: dataset.name)
                                  : try model.evaluate(data: bytes, name: dataset.name, kind: dataset.kind)
        }
        return JSONResponse.make(EvaluateResponse(loss: result.loss, bitsPerChar: result.bitsPerChar, accuracy: result.accuracy,
                                                  count: result.count, unknownCharacters: result.unknownCharacters,
                                                  baselineLoss: result.baseline?.loss, baselineAccuracy: result.baseline?.accuracy, checkpointStep: step))
    }
}
