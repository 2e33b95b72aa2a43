extension Builtins {
    /// Named parameters of `search(objective, space, ...)` (hyper-parameter search), added to
    /// `search`'s spec so named-argument checks accept them.
    static let hyperSearchParams: [String] = ["trials", "seed", "workers"]

    /// `search(objective, space, method: "grid" | "random" | "halving", ...)`: not built yet; the
    /// training family replaces this file.
    static func hyperSearch(_ c: inout Call) throws -> Value {
        throw RuntimeError("hyper-parameter search is not available yet")
    }
}
