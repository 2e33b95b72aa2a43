import Foundation
import PsearchPlot
import Testing

/// Every kind of figure, as plain terminal text and as SVG, against stored snapshots.
@Suite struct SnapshotTests {
    static let names = Fixtures.all.map(\.name)

    static func figure(_ name: String) -> Figure { Fixtures.all.first { $0.name == name }!.figure }

    @Test(arguments: names) func plainText(_ name: String) throws {
        let text = render(Self.figure(name), width: 72, height: 20, style: .plain)
        #expect(!text.contains("\u{1B}"), "plain output must have no escape codes")
        try Snapshot.check(text, "\(name).txt")
    }

    @Test(arguments: names) func svg(_ name: String) throws {
        try Snapshot.check(renderSVG(Self.figure(name), width: 640, height: 420), "\(name).svg")
    }

    /// Colour output is stable too; one figure per colour source (classes, colour map, image).
    @Test(arguments: ["scatter-classes", "heatmap-rosenbrock", "decision-regions", "image-grid"])
    func colour(_ name: String) throws {
        try Snapshot.check(render(Self.figure(name), width: 72, height: 20, style: .truecolor), "\(name).truecolor.ans")
        try Snapshot.check(render(Self.figure(name), width: 72, height: 20, style: .ansi256), "\(name).256.ans")
    }

    @Test(.enabled(if: Tool.available("xmllint"), "xmllint not installed (Debian: libxml2-utils); SVG validity not checked"),
          arguments: names)
    func svgIsWellFormedXML(_ name: String) throws {
        let file = Scratch.directory.appendingPathComponent("\(name).svg")
        try renderSVG(Self.figure(name), width: 640, height: 420).write(to: file, atomically: true, encoding: .utf8)
        let (status, stderr) = try Tool.run("xmllint", ["--noout", file.path])
        #expect(status == 0, "xmllint rejects \(name).svg: \(stderr)")
    }

    /// rsvg-convert renders each SVG to a PNG (left in the temporary folder for eyes to check).
    @Test(.enabled(if: Tool.available("rsvg-convert"), "rsvg-convert not installed (Debian: librsvg2-bin); SVGs not rasterised"),
          arguments: names)
    func svgConvertsToPNG(_ name: String) throws {
        let svg = Scratch.directory.appendingPathComponent("\(name).r.svg")
        let png = Scratch.directory.appendingPathComponent("\(name).png")
        try renderSVG(Self.figure(name), width: 640, height: 420).write(to: svg, atomically: true, encoding: .utf8)
        try? FileManager.default.removeItem(at: png)
        let (status, stderr) = try Tool.run("rsvg-convert", [svg.path, "-o", png.path])
        #expect(status == 0, "rsvg-convert fails on \(name).svg: \(stderr)")
        let head = try Data(contentsOf: png).prefix(8)
        #expect(Array(head) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "\(name).png is not a PNG")
    }
}
