/// The states of a run and the transitions between them — the one definition the store, the scheduler,
/// the API and the clients share.
///
/// ```
/// queued ──> running ──> completed | failed | cancelled
///   │  ↑        │ ↑ ──> interrupted ──> queued        (rnnd stopped: shutdown or crash)
///   │  └─────── │ └──── paused <──┘                  (pause asked, or the state directory could not be written)
///   └──> paused, cancelled
/// ```
/// The store changes a run's state only from one of `sources(of:)` (one conditional UPDATE in the
/// transaction of the event row), so concurrent callers cannot move a run along a path not drawn here.
public enum RunState: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    case queued, running, paused, interrupted, completed, failed, cancelled

    /// The states a run never leaves.
    public static let finalStates: Set<RunState> = [.completed, .failed, .cancelled]

    public var isFinal: Bool { Self.finalStates.contains(self) }

    /// The states from which a run may move to `target`.
    public static func sources(of target: RunState) -> Set<RunState> {
        switch target {
        case .queued: [.paused, .interrupted]
        case .running: [.queued]
        case .paused: [.queued, .running, .interrupted]
        case .interrupted: [.running]
        case .completed: [.running]
        case .failed: [.running, .interrupted]
        case .cancelled: [.queued, .running, .paused, .interrupted]
        }
    }

    /// Whether `self → target` is a transition of the machine.
    public func canMove(to target: RunState) -> Bool { Self.sources(of: target).contains(self) }

    /// What a user may ask of a run in this state, in `RunAction`'s order.
    public var actions: [RunAction] { RunAction.allCases.filter { $0.sources.contains(self) } }

    public var description: String { rawValue }
}

/// What an event row of a run records. The state kinds mark a transition into that state (`submitted`
/// is the entry into `queued`); the others are things that happened while the state stayed.
public enum EventKind: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    case submitted
    case queued, running, paused, interrupted, completed, failed, cancelled
    /// A cancel was asked of a running run; it takes effect at the next step boundary.
    case cancelRequested = "cancel_requested"
    /// A pause was asked of a running run; it takes effect at the next step boundary.
    case pauseRequested = "pause_requested"
    /// Something the user should know that changed nothing (workers clamped to the cores).
    case notice
    /// The run was created from another run's checkpoint.
    case forked
    /// A user renamed the run, changed its tags or its note (the message says what).
    case edited
    case checkpoint
    /// A step with a non-finite loss or gradient left the parameters unchanged.
    case skipped
    /// The divergence guard went back to a checkpoint.
    case rollback
    /// rnnd could not record something about the run (the message names what and why).
    case error

    /// The event of entering `state`.
    public init(entering state: RunState) { self = EventKind(rawValue: state.rawValue)! }

    /// The state this event enters, for transition events.
    public var enteredState: RunState? { self == .submitted ? .queued : RunState(rawValue: rawValue) }

    public var description: String { rawValue }
}

/// Why a checkpoint was written.
public enum CheckpointKind: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    /// Every checkpoint_every steps, and when a run stops at a step boundary (to resume from).
    case periodic
    /// A new lowest validation loss.
    case best
    /// The end of the run.
    case final

    public var description: String { rawValue }
}

/// What a user asks of a run's state (rnnctl's commands, the API's routes, the web view's buttons).
public enum RunAction: String, Sendable, Codable, CaseIterable {
    case cancel, pause, resume

    /// The state the action moves a run to (a running run's cancel or pause takes effect at its next step).
    public var target: RunState {
        switch self {
        case .cancel: .cancelled
        case .pause: .paused
        case .resume: .queued
        }
    }

    /// The states from which a user may ask it: every source of its target, except that resume takes only
    /// paused runs (an interrupted run is requeued by rnnd itself).
    public var sources: Set<RunState> { self == .resume ? [.paused] : RunState.sources(of: target) }
}
