import Foundation
import PsearchCore

/// How the prompt shows a value it echoes: a form that fits the terminal. Small values echo
/// as `repr` (what `print` and `str` give, unchanged); long vectors and lists are shortened
/// with a count (`[0.1, 0.2, 0.3, … 997 more]`), long fields are named by their shape
/// (`path: 78 x 2 matrix`), and results print a summary of the figures that matter. The REPL's
/// `:full` shows the last value whole.
public struct Echo {
    /// Display columns a line may take.
    public var width: Int
    /// Lines the whole echo may take.
    public var lines: Int
    /// Echoing at the REPL, whose `:full` a summary may point to; `echo` and other front ends
    /// have no such command.
    public var atPrompt: Bool

    public init(width: Int = 80, lines: Int = 20, atPrompt: Bool = false) {
        self.width = max(24, width)
        self.lines = max(4, lines)
        self.atPrompt = atPrompt
    }

    /// The echo of `v`: one or more lines, without a final newline.
    public func text(_ v: Value) -> String {
        switch v {
        case .object(let o):
            if let s = o.summary(self) { return s }
            if o.isRecordLike, let r = try? o.asRecord() { return record(r) }
            return o.description
        case .record(let r): return record(r)
        case .tensor(let t) where t.rank >= 2: return matrix(t)
        default: return inline(v, width)
        }
    }

    // MARK: - One line

    /// `v` on one line of at most `room` columns where it can be shortened: a sequence by a
    /// prefix and a count, a matrix or record by its shape, anything else as `repr`.
    public func inline(_ v: Value, _ room: Int) -> String {
        switch v {
        case .tensor(let t):
            if t.rank <= 1 {
                return shortened(count: t.count, room: room, full: { formatTensor(t) }) { formatNumber(t.data[$0]) }
                    ?? "vector of \(t.count)"
            }
            let full = t.count <= room ? formatTensor(t) : nil
            if let full, TextWidth.of(full) <= room { return full }
            return shape(t)
        case .list(let items):
            if let s = shortened(count: items.count, room: room, full: { v.repr }, element: { items[$0].repr }) { return s }
            return "list of \(items.count)" + noun(items)
        case .record(let r):
            let full = v.repr
            if TextWidth.of(full) <= room { return full }
            return "record with \(r.names.count) fields (\(r.names.joined(separator: ", ")))".clipped(room)
        case .object(let o):
            if o.isRecordLike, let r = try? o.asRecord() {
                let full = Value.record(r).repr
                if TextWidth.of(full) <= room { return full }
                if let line = o.summary(self)?.split(separator: "\n").first { return String(line).clipped(room) }
                return "record with \(r.names.count) fields".clipped(room)
            }
            return o.description.clipped(room)
        default:
            return v.repr
        }
    }

    /// What a value is, in a word or two: "number", "vector of 78", "78 x 2 matrix",
    /// "list of 20", "record", "fn".
    public func kind(_ v: Value) -> String {
        switch v {
        case .tensor(let t): return t.rank <= 1 ? "vector of \(t.count)" : shape(t)
        case .list(let items): return "list of \(items.count)"
        case .function: return "fn"
        case .object(let o): return o.isRecordLike ? "record" : o.typeName
        default: return v.typeName
        }
    }

    /// "78 x 2 matrix", "2 x 3 x 4 tensor".
    func shape(_ t: Tensor) -> String {
        t.shape.map(String.init).joined(separator: " x ") + (t.rank == 2 ? " matrix" : " tensor")
    }

    /// " records" when every element is a record (or reads like one).
    private func noun(_ items: [Value]) -> String {
        guard !items.isEmpty else { return "" }
        let records = items.allSatisfy { item in
            if case .record = item { return true }
            if case .object(let o) = item { return o.isRecordLike }
            return false
        }
        return records ? " records" : ""
    }

    /// `[e0, e1, … k more]` in `room` columns; the whole text when it fits; nil when not even
    /// one element fits beside the count.
    private func shortened(count: Int, room: Int, full: () -> String, element: (Int) -> String) -> String? {
        // Elements are at least one column and a separator, so a sequence much longer than the
        // room is shortened without writing it all out.
        if count <= room {
            let whole = full()
            if TextWidth.of(whole) <= room { return whole }
        }
        var parts: [String] = []
        var used = 1
        for i in 0..<count {
            let e = element(i)
            let tail = " … \(count - i - 1) more]".count
            let next = used + TextWidth.of(e) + (parts.isEmpty ? 0 : 2)
            if next + tail > room && i < count - 1 { break }
            parts.append(e)
            used = next
        }
        guard !parts.isEmpty, parts.count < count else { return nil }
        return "[" + parts.joined(separator: ", ") + ", … \(count - parts.count) more]"
    }

    // MARK: - Several lines

    /// A record that does not fit one line: one field per line, each field on one line.
    func record(_ r: Record) -> String {
        let whole = Value.record(r).repr
        if TextWidth.of(whole) <= width && !whole.contains("\n") { return whole }
        var out = ["{"]
        let shown = r.names.count <= lines - 2 ? r.names.count : lines - 3
        for (name, value) in zip(r.names, r.values).prefix(shown) {
            out.append("  \(name): " + inline(value, width - TextWidth.of(name) - 4))
        }
        if shown < r.names.count { out.append("  … \(r.names.count - shown) more fields") }
        out.append("}")
        return out.joined(separator: "\n")
    }

    /// A matrix by its shape, then its first and last rows, each shortened to the width.
    func matrix(_ t: Tensor) -> String {
        let whole = t.count <= width ? formatTensor(t) : ""
        if !whole.isEmpty && TextWidth.of(whole) <= width { return whole }
        guard t.rank == 2 else {
            return shape(t) + ": " + inline(.tensor(Tensor(t.data)), width - TextWidth.of(shape(t)) - 2)
        }
        let rows = t.shape[0], cols = t.shape[1]
        func row(_ i: Int) -> String {
            "  " + inline(.tensor(Tensor(Array(t.data[(i * cols)..<((i + 1) * cols)]))), width - 2)
        }
        var out = [shape(t)]
        // numpy shows a big matrix's first and last rows; ten in all is enough to see its form.
        let room = min(lines - 1, 11)
        if rows <= room {
            out += (0..<rows).map(row)
        } else {
            let head = (room - 1) / 2, tail = room - 1 - head
            out += (0..<head).map(row)
            out.append("  … \(rows - head - tail) more rows")
            out += ((rows - tail)..<rows).map(row)
        }
        return out.joined(separator: "\n")
    }
}

extension String {
    /// At most `room` display columns, "…" where it was cut.
    func clipped(_ room: Int) -> String {
        guard TextWidth.of(self) > room else { return self }
        var out = "", used = 0
        for ch in self {
            let w = TextWidth.of(ch)
            if used + w > room - 1 { break }
            out.append(ch)
            used += w
        }
        return out + "…"
    }
}

/// Numbers in a summary's headline: six significant digits (the fields keep every digit).
func brief(_ v: Double) -> String {
    if v.isNaN || v.isInfinite || (v == v.rounded() && abs(v) < 1e6) { return formatNumber(v) }
    return String(format: "%.6g", v)
}

/// A point in a headline: `[3, 2]`, `[-3.77931, -3.28319]`.
func brief(_ xs: [Double]) -> String {
    xs.count == 1 ? brief(xs[0]) : "[" + xs.map { brief($0) }.joined(separator: ", ") + "]"
}
