import PsearchCore

/// A figure: series on axes with labels and a legend, drawn by the terminal and SVG renderers.
public struct Figure: Sendable {
    public var title: String?
    public init(title: String? = nil) { self.title = title }
}
