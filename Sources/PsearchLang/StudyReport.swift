import Foundation
import PsearchCore
import PsearchStore

/// `psearch study FILE`: a study file as a table, CSV or JSON, parameters shown by their values.
public enum StudyReport {
    public enum Format: Sendable { case table, csv, json }

    /// The study `number` (by default the newest) of the file at `path`, rendered; an error's text otherwise.
    public static func render(_ path: String, study number: Int? = nil, format: Format) -> Result<String, StudyError> {
        let read: (info: StudyInfo, trials: [StoredTrial])
        do { read = try StudyFile.read(path, study: number) } catch { return .failure(error) }
        let space: Builtins.Space
        do { space = try Builtins.studySpace(read.info) } catch { return .failure(StudyError("\(error)")) }
        let names = space.space.names
        let rows: [[String]] = read.trials.map { t in
            let params = space.decode(t.params)
            return ["\(t.index)", t.state.rawValue, t.state.isFinished ? formatNumber(t.loss) : ""]
                + params.values.map(\.repr)
                + ["\(t.round)", t.budget.map(String.init) ?? "", "\(t.reports.steps.count)", String(format: "%.6f", t.seconds), "\(t.worker)",
                   String(format: "%.3f", t.started), t.ended.map { String(format: "%.3f", $0) } ?? ""]
        }
        let header = ["trial", "state", "loss"] + names + ["round", "budget", "reports", "seconds", "worker", "started", "ended"]
        switch format {
        case .csv:
            func field(_ s: String) -> String {
                s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
            }
            return .success(([header] + rows).map { $0.map(field).joined(separator: ",") }.joined(separator: "\n") + "\n")
        case .json:
            let trials = rows.map { r in "{" + zip(header, r).map { "\(quote($0)): \(jsonValue($0, $1))" }.joined(separator: ", ") + "}" }
            let s = read.info.spec
            return .success("""
                {"study": \(read.info.number), "studies": \(read.info.count), "objective": \(quote(s.objective)), "space": \(quote(s.space)), \
                "method": \(quote(s.method)), "seed": \(s.seed), "prune": \(quote(s.prune)), "trials_asked": \(s.trials), \
                "script_hash": \(quote(s.scriptHash)), "trials": [\n  \(trials.joined(separator: ",\n  "))\n]}

                """)
        case .table:
            let s = read.info.spec
            var out = "study \(read.info.number) of \(read.info.count) in \(path): \(s.method) search of \(s.objective) over \(s.space), seed \(s.seed), prune \(s.prune)\n"
            let shownHeader = Array(header.prefix(header.count - 2))
            let shown = rows.map { Array($0.prefix(header.count - 2)) }
            let widths = shownHeader.indices.map { i in ([shownHeader[i]] + shown.map { $0[i] }).map(\.count).max()! }
            for r in [shownHeader] + shown {
                out += zip(r, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
                    .replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) + "\n"
            }
            let counts = TrialState.allCases.compactMap { st -> String? in
                let n = read.trials.filter { $0.state == st }.count
                return n > 0 ? "\(n) \(st.rawValue)" : nil
            }
            // Halving's trial count is its candidates; its rounds run them again with larger budgets.
            // A grid's size is its own, whatever trials: says.
            let asked = s.method == SearchMethod.halving.rawValue ? "\(s.trials) candidates"
                : s.method == SearchMethod.grid.rawValue ? "a grid" : "\(s.trials) asked for"
            out += "\(read.trials.count) trials (\(asked)): " + counts.joined(separator: ", ")
            if let r = try? Builtins.studyResult(read.info, read.trials) {
                out += "; best \(Value.record(space.decode(r.best)).repr), loss \(formatNumber(r.bestLoss))"
            }
            return .success(out + "\n")
        }
    }

    /// A table cell as JSON: numbers stay numbers (nan and inf become strings), the rest strings.
    static func jsonValue(_ column: String, _ cell: String) -> String {
        if cell.isEmpty { return "null" }
        if ["trial", "round", "budget", "reports", "worker", "seconds", "started", "ended", "loss"].contains(column) {
            return Double(cell).map { $0.isFinite ? cell : quote(cell) } ?? quote(cell)
        }
        if column == "state" { return quote(cell) }
        // A parameter: its psearch value, a number when it reads as one.
        if let x = Double(cell), x.isFinite { return cell }
        return quote(cell)
    }
}
