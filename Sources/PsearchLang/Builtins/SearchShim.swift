// TEMPORARY, branch b-train only: lets this branch run `search(objective, space, ...)` before
// the `search` dispatcher (another helper's branch) lands. Delete this file and its entry in
// `Builtins.all` when merging that dispatcher, whose third form calls `Builtins.hyperSearch`.

extension Builtins {
    static let searchShim: [Builtin] = [
        Builtin(BuiltinSpec("search", "search(objective, space, method: \"grid\", trials: 20, seed:, workers:)",
                            "hyper-parameter search: the parameters from space that minimise objective(params)",
                            example: "search(fn(p) = (p.x - 2) ^ 2, {x: [1, 2, 3]}, workers: 1).best",
                            params: ["objective", "space", "method", "trials", "seed", "workers"], min: 2)) { c in
            try hyperSearch(&c)
        },
    ]
}
