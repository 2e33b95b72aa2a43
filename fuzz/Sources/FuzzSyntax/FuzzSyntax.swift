import FuzzSupport
import PsearchLang

/// Lexer + parser on arbitrary bytes: any input must end in an AST or diagnostics, and both
/// must render (the caret line of a diagnostic reads the source back).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSyntax(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    // Parsing recurses once per nesting level (at most Parser.maxNesting, 256).
    withDeepStack(bytes: 64 << 20) {
        let r = Interpreter.parseOnly(bytes, name: "fuzz.ps")
        if let d = r.diagnostics { _ = d.render(r.sources) }
        _ = Interpreter.completeness(of: String(decoding: bytes, as: UTF8.self))
    }
    return 0
}
