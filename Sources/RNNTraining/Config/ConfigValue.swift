import RNNAPI

/// One value of a run configuration: the wire type itself (a JSON number, string, boolean or list of
/// strings), so that what a client sends is what the trainer validates, with no second definition.
public typealias ConfigValue = APIValue
