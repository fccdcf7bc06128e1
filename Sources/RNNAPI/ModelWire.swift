import Foundation

/// POST /v1/runs/{id}/sample
public struct SampleRequest: APIRequest, Equatable {
    public static let fields: Set<String> = ["prime", "length", "temperature", "top_k", "seed", "checkpoint"]
    public var prime: String
    public var length: Int
    public var temperature: Double?
    public var topK: Int?
    public var seed: Int?
    public var checkpoint: CheckpointChoice?
    public init(prime: String, length: Int, temperature: Double? = nil, topK: Int? = nil, seed: Int? = nil, checkpoint: CheckpointChoice? = nil) {
        (self.prime, self.length, self.temperature, self.topK, self.seed) = (prime, length, temperature, topK, seed)
        self.checkpoint = checkpoint
    }
}

public struct SampleResponse: Codable, Sendable, Equatable {
    /// The prime followed by the generated characters.
    public var text: String
    public var checkpointStep: Int
    public init(text: String, checkpointStep: Int) {
        self.text = text
        self.checkpointStep = checkpointStep
    }
}

/// POST /v1/runs/{id}/forecast: continues the run's own series (or an uploaded CSV with the same columns).
public struct ForecastRequest: APIRequest, Equatable {
    public static let fields: Set<String> = ["steps", "dataset", "checkpoint"]
    public var steps: Int
    public var dataset: String?
    public var checkpoint: CheckpointChoice?
    public init(steps: Int, dataset: String? = nil, checkpoint: CheckpointChoice? = nil) {
        self.steps = steps
        self.dataset = dataset
        self.checkpoint = checkpoint
    }
}

public struct ForecastResponse: Codable, Sendable, Equatable {
    public var columns: [String]
    /// One row per step ahead, one value per target column.
    public var values: [[Double]]
    public var checkpointStep: Int
    public init(columns: [String], values: [[Double]], checkpointStep: Int) {
        self.columns = columns
        self.values = values
        self.checkpointStep = checkpointStep
    }
}

/// POST /v1/runs/{id}/evaluate
public struct EvaluateRequest: APIRequest, Equatable {
    public static let fields: Set<String> = ["dataset", "checkpoint"]
    /// The SHA-256 of an uploaded dataset.
    public var dataset: String
    public var checkpoint: CheckpointChoice?
    public init(dataset: String, checkpoint: CheckpointChoice? = nil) {
        self.dataset = dataset
        self.checkpoint = checkpoint
    }
}

public struct EvaluateResponse: Codable, Sendable, Equatable {
    /// Mean loss: nats for cross-entropy, squared units for regression.
    public var loss: Double
    public var bitsPerChar: Double?
    public var accuracy: Double?
    public var count: Int
    /// Text: how many targets were characters the model never trained on (the unknown-character id).
    public var unknownCharacters: Int?
    /// The best constant prediction on the same targets (the data's own class frequencies or mean): its loss,
    /// and the majority class's accuracy. A model that does not beat it learned nothing.
    public var baselineLoss: Double?
    public var baselineAccuracy: Double?
    public var checkpointStep: Int
    public init(loss: Double, bitsPerChar: Double?, accuracy: Double?, count: Int, unknownCharacters: Int? = nil, baselineLoss: Double? = nil,
                baselineAccuracy: Double? = nil, checkpointStep: Int) {
        (self.loss, self.bitsPerChar, self.accuracy, self.count) = (loss, bitsPerChar, accuracy, count)
        (self.unknownCharacters, self.baselineLoss, self.baselineAccuracy, self.checkpointStep) = (unknownCharacters, baselineLoss, baselineAccuracy, checkpointStep)
    }
}

/// POST /v1/runs/{id}/predict: the model's predictions for every example of an uploaded JSON Lines file
/// (`target` may be left out).
public struct PredictRequest: APIRequest, Equatable {
    public static let fields: Set<String> = ["dataset", "checkpoint", "top_k"]
    public var dataset: String
    public var checkpoint: CheckpointChoice?
    /// Classification: how many of the likeliest classes each prediction lists (default 3).
    public var topK: Int?
    public init(dataset: String, checkpoint: CheckpointChoice? = nil, topK: Int? = nil) {
        (self.dataset, self.checkpoint, self.topK) = (dataset, checkpoint, topK)
    }
}

/// A class and the model's probability of it.
public struct ClassProbability: Codable, Sendable, Equatable {
    public var `class`: Int
    public var probability: Double
    public init(class: Int, probability: Double) { (self.class, self.probability) = (`class`, probability) }
}

/// One example's prediction. Classification with one target: `class`, its `probability` and the `top` classes;
/// with a target at every step: `classes` and their `probabilities`, one per step. Regression: `values` (one
/// vector), or `steps` (one vector per step), in the data's units.
public struct PredictionInfo: Codable, Sendable, Equatable {
    public var `class`: Int?
    public var probability: Double?
    public var top: [ClassProbability]?
    public var classes: [Int]?
    public var probabilities: [Double]?
    public var values: [Double]?
    public var steps: [[Double]]?
    public init(class: Int? = nil, probability: Double? = nil, top: [ClassProbability]? = nil, classes: [Int]? = nil,
                probabilities: [Double]? = nil, values: [Double]? = nil, steps: [[Double]]? = nil) {
        (self.class, self.probability, self.top, self.classes) = (`class`, probability, top, classes)
        (self.probabilities, self.values, self.steps) = (probabilities, values, steps)
    }
}

public struct PredictResponse: Codable, Sendable, Equatable {
    /// One per example, in the file's order.
    public var predictions: [PredictionInfo]
    public var checkpointStep: Int
    public init(predictions: [PredictionInfo], checkpointStep: Int) { (self.predictions, self.checkpointStep) = (predictions, checkpointStep) }
}
