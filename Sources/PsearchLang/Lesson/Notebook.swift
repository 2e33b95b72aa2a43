import Foundation
import PsearchPlot

extension Lesson {
    /// The run as a Jupyter notebook (nbformat 4.5) for the psearch kernel: prose as Markdown
    /// cells, code cells with the outputs the run produced (printed text as `stream`, figures as
    /// `display_data` with SVG and the terminal picture as `text/plain`, as the kernel sends
    /// them). Written with sorted keys and fixed cell ids, so the same lesson gives the same bytes.
    public static func notebook(_ run: Run, figureSize: (width: Int, height: Int) = (640, 420)) -> String {
        var out: [NotebookCell] = []
        var figures = 0
        for cell in cells(run) {
            switch cell {
            case .prose(let markdown):
                out.append(NotebookCell(kind: "markdown", id: "cell-\(out.count + 1)", source: markdown))
            case .code(_, _, let start, let end):
                let code = String(decoding: run.source.bytes[start..<end], as: UTF8.self)
                let executed = out.filter { $0.kind == "code" }.count + 1
                out.append(NotebookCell(kind: "code", id: "cell-\(out.count + 1)", source: code, executionCount: executed))
            case .output(let items):
                guard let last = out.indices.last, out[last].kind == "code" else { continue }
                for item in items {
                    switch item {
                    case .text(let t):
                        out[last].outputs.append(.stream(t))
                    case .figure(let f, let text):
                        figures += 1
                        let svg = notebookSVG(renderSVG(f, width: figureSize.width, height: figureSize.height), number: figures)
                        out[last].outputs.append(.display(svg: svg, text: text))
                    }
                }
            }
        }
        let notebook = NotebookFile(cells: out)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Encoding these plain structs cannot fail.
        let data = (try? encoder.encode(notebook)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// An SVG as a notebook shows it: every figure of a notebook is in one page, so ids are made
    /// unique (`f3-plot`) as on exported pages.
    public static func notebookSVG(_ svg: String, number: Int) -> String {
        inlineSVG(svg, prefix: "f\(number)-")
    }
}

/// nbformat's lines: a multi-line string as a list of lines, each but the last with its "\n".
private func nbLines(_ text: String) -> [String] {
    var lines: [String] = []
    var current = ""
    for ch in text {
        current.append(ch)
        if ch == "\n" {
            lines.append(current)
            current = ""
        }
    }
    if !current.isEmpty { lines.append(current) }
    return lines
}

private struct NotebookFile: Encodable {
    var cells: [NotebookCell]
    var metadata = Metadata()
    var nbformat = 4
    var nbformat_minor = 5

    struct Metadata: Encodable {
        var kernelspec = ["name": "psearch", "display_name": "psearch", "language": "psearch"]
        var language_info = ["name": "psearch", "file_extension": ".ps", "mimetype": "text/x-psearch"]
    }
}

private enum NotebookOutput: Encodable {
    case stream(String)
    case display(svg: String, text: String)

    enum Keys: String, CodingKey { case output_type, name, text, data, metadata }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        switch self {
        case .stream(let text):
            try c.encode("stream", forKey: .output_type)
            try c.encode("stdout", forKey: .name)
            try c.encode(nbLines(text), forKey: .text)
        case .display(let svg, let text):
            try c.encode("display_data", forKey: .output_type)
            try c.encode(["image/svg+xml": nbLines(svg), "text/plain": nbLines(text)], forKey: .data)
            try c.encode([String: String](), forKey: .metadata)
        }
    }
}

private struct NotebookCell: Encodable {
    var kind: String
    var id: String
    var source: String
    var executionCount: Int?
    var outputs: [NotebookOutput] = []

    enum Keys: String, CodingKey { case cell_type, id, metadata, source, execution_count, outputs }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(kind, forKey: .cell_type)
        try c.encode(id, forKey: .id)
        try c.encode([String: String](), forKey: .metadata)
        try c.encode(nbLines(source), forKey: .source)
        guard kind == "code" else { return }
        try c.encode(executionCount, forKey: .execution_count)
        try c.encode(outputs, forKey: .outputs)
    }
}
