import Foundation
import RNNCore

/// A time series in CSV: a header row, then one row per time step, chronological.
///
/// Inputs are `input_columns` and targets `target_columns`, z-score normalised with the mean and standard
/// deviation of the training split only (stored with the run). An example is a window of `seq_len` rows
/// predicting the targets `horizon` rows after the window's last row (sequence-to-one MSE). The validation
/// split is the chronological tail (`val_fraction` of the rows); windows never straddle the two. Training
/// windows are shuffled every epoch by a generator derived from (seed, epoch).
public struct TimeSeriesCSV: TrainingData {
    public let inputColumns: [String]
    public let targetColumns: [String]
    /// Normalised values, rows × (inputs + targets).
    let rows: [[Float]]
    let trainRows: Int
    public let mean: [Double]
    public let std: [Double]
    public let batchSize: Int
    public let seqLen: Int
    let horizon: Int
    let shuffle: EpochShuffle

    /// Reads `bytes` for `config`. With `normalization` (a trained model's), no statistics are fitted.
    public init(bytes: [UInt8], name: String, config: RunConfig, normalization: (mean: [Double], std: [Double])? = nil) throws {
        guard !bytes.isEmpty else { throw TrainingError(.invalidData, "\(name): the file is empty") }
        let text = try String(decoding: bytes, as: UTF8.self).validatingUTF8(bytes, name: name)
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map(String.init)
        while lines.last?.isEmpty == true { lines.removeLast() }
        guard let headerLine = lines.first else { throw TrainingError(.invalidData, "\(name): the file is empty") }
        let header = CSVLine.fields(headerLine)
        guard !config.inputColumns.isEmpty else { throw TrainingError(.invalidConfig, "input_columns: name the CSV columns to feed the network (the header has \(header.joined(separator: ", ")))", key: "input_columns") }
        guard !config.targetColumns.isEmpty else { throw TrainingError(.invalidConfig, "target_columns: name the CSV columns to predict (the header has \(header.joined(separator: ", ")))", key: "target_columns") }
        var columnIndex: [Int] = []
        for (key, names) in [("input_columns", config.inputColumns), ("target_columns", config.targetColumns)] {
            for column in names {
                guard let i = header.firstIndex(of: column) else {
                    throw TrainingError(.invalidData, "\(name): unknown column \"\(column)\" in \(key); the header has \(header.joined(separator: ", "))", key: key)
                }
                columnIndex.append(i)
            }
        }
        var raw: [[Double]] = []
        raw.reserveCapacity(lines.count - 1)
        for (lineIndex, line) in lines.enumerated().dropFirst() {
            let fields = CSVLine.fields(line)
            guard fields.count == header.count else {
                throw TrainingError(.invalidData, "\(name): line \(lineIndex + 1) has \(fields.count) fields, the header has \(header.count)")
            }
            raw.append(try columnIndex.map { c in
                guard let v = Double(fields[c].trimmingCharacters(in: .whitespaces)), v.isFinite else {
                    throw TrainingError(.invalidData, "\(name): line \(lineIndex + 1), column \"\(header[c])\": \"\(fields[c])\" is not a finite number")
                }
                return v
            })
        }
        let valRows = Int(Double(raw.count) * config.valFraction)
        trainRows = raw.count - valRows
        let width = columnIndex.count
        var mean = [Double](repeating: 0, count: width), std = mean
        if let normalization {
            guard normalization.mean.count == width, normalization.std.count == width else {
                throw TrainingError(.invalidData, "\(name): the model was trained on \(normalization.mean.count) columns, the configuration names \(width)")
            }
            (mean, std) = normalization
        }
        for j in 0..<width where normalization == nil {
            let column = raw[..<trainRows].map { $0[j] }
            let m = column.reduce(0, +) / Double(max(column.count, 1))
            let variance = column.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(max(column.count, 1))
            mean[j] = m
            std[j] = variance > 0 ? variance.squareRoot() : 1  // a constant column is centred, not scaled
        }
        self.mean = mean
        self.std = std
        rows = raw.map { r in (0..<width).map { Float((r[$0] - mean[$0]) / std[$0]) } }
        inputColumns = config.inputColumns
        targetColumns = config.targetColumns
        batchSize = config.batchSize
        seqLen = config.seqLen
        horizon = config.horizon
        let windows = TimeSeriesCSV.windowCount(rows: trainRows, seqLen: seqLen, horizon: horizon)
        shuffle = EpochShuffle(count: windows, seed: config.seed)
        guard normalization != nil || windows >= batchSize else {
            throw TrainingError(.invalidData, "\(name): the training split (\(trainRows) rows) gives \(windows) windows of seq_len \(seqLen) + horizon \(horizon); batch_size \(batchSize) needs at least \(batchSize)", key: "seq_len")
        }
        if normalization == nil && valRows > 0 && TimeSeriesCSV.windowCount(rows: valRows, seqLen: seqLen, horizon: horizon) < 1 {
            throw TrainingError(.invalidData, "\(name): the validation split (\(valRows) rows) is shorter than seq_len + horizon = \(seqLen + horizon); raise val_fraction or lower seq_len", key: "val_fraction")
        }
    }

    static func windowCount(rows: Int, seqLen: Int, horizon: Int) -> Int { max(0, rows - seqLen - horizon + 1) }

    public var input: DataInput { .features(count: inputColumns.count) }
    public var outputSize: Int { targetColumns.count }
    public var loss: LossKind { .meanSquaredError }
    public var targets: TargetMode { .lastStep }
    public var carriesState: Bool { false }
    public var stepsPerEpoch: Int { TimeSeriesCSV.windowCount(rows: trainRows, seqLen: seqLen, horizon: horizon) / batchSize }
    public var metadata: DataMetadata {
        DataMetadata(inputColumns: inputColumns, targetColumns: targetColumns, mean: mean, std: std)
    }

    /// The training windows' start rows in the order of `epoch`.
    func order(epoch: Int) -> [Int] { shuffle.order(epoch: epoch) }

    public func trainingBatch(epoch: Int, index: Int) -> Batch<Float> {
        let starts = order(epoch: epoch)
        return batch(starts: Array(starts[(index * batchSize)..<((index + 1) * batchSize)]))
    }

    public func validationBatches() -> [Batch<Float>] {
        let count = TimeSeriesCSV.windowCount(rows: rows.count - trainRows, seqLen: seqLen, horizon: horizon)
        let starts = (0..<count).map { trainRows + $0 }
        return stride(from: 0, to: starts.count, by: batchSize).map { batch(starts: Array(starts[$0..<min($0 + batchSize, starts.count)])) }
    }

    /// Every window of the file in order, in batches of `batchSize` (evaluation of a trained model).
    func allWindowBatches() -> [Batch<Float>] {
        let starts = Array(0..<TimeSeriesCSV.windowCount(rows: rows.count, seqLen: seqLen, horizon: horizon))
        return stride(from: 0, to: starts.count, by: batchSize).map { batch(starts: Array(starts[$0..<min($0 + batchSize, starts.count)])) }
    }

    /// The last `seqLen` rows' inputs, normalised, [T, D] (the start of a forecast).
    var lastWindow: [[Float]] { rows.suffix(seqLen).map { Array($0[0..<inputColumns.count]) } }

    func batch(starts: [Int]) -> Batch<Float> {
        let b = starts.count, d = inputColumns.count, o = targetColumns.count
        var features = [Float](repeating: 0, count: seqLen * b * d), targets = [Float](repeating: 0, count: b * o)
        for (r, start) in starts.enumerated() {
            for t in 0..<seqLen {
                for j in 0..<d { features[(t * b + r) * d + j] = rows[start + t][j] }
            }
            let target = rows[start + seqLen - 1 + horizon]
            for j in 0..<o { targets[r * o + j] = target[d + j] }
        }
        return Batch(batchSize: b, seqLen: seqLen, input: .features(features), target: .values(targets))
    }
}

/// Splits one CSV line into fields; double quotes enclose fields with commas, "" is a quote.
enum CSVLine {
    static func fields(_ line: String) -> [String] {
        var fields: [String] = [], field = "", quoted = false
        var chars = line.makeIterator()
        while let c = chars.next() {
            if quoted {
                if c == "\"" {
                    if let next = chars.next() {
                        if next == "\"" { field.append("\"") } else { quoted = false; if next == "," { fields.append(field); field = "" } else { field.append(next) } }
                    } else { quoted = false }
                } else { field.append(c) }
            } else if c == "\"" && field.isEmpty {
                quoted = true
            } else if c == "," {
                fields.append(field)
                field = ""
            } else if c != "\r" {
                field.append(c)
            }
        }
        fields.append(field)
        return fields
    }
}

extension String {
    /// Self when `bytes` is valid UTF-8; an error naming the first bad byte otherwise.
    func validatingUTF8(_ bytes: [UInt8], name: String) throws -> String {
        _ = try TextCorpus.decodeUTF8(bytes, name: name)
        return self
    }
}
