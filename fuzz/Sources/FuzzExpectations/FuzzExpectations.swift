import PsearchLang

/// `psearch check`'s expectation parser and matcher: the input is split at its first NUL into
/// a script (whose `#>` lines are parsed) and an "actual output" to compare and diff against.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzExpectations(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let cut = bytes.firstIndex(of: 0) ?? bytes.count
    let script = String(decoding: bytes[..<cut], as: UTF8.self)
    let output = cut < bytes.count ? String(decoding: bytes[(cut + 1)...], as: UTF8.self) : ""
    let blocks = Expectations.parse(script)
    let expected = blocks.flatMap(\.lines)
    let actual = Expectations.outputLines(output)
    _ = Expectations.matches(expected, actual)
    _ = Expectations.diff(expected, actual)
    _ = Expectations.render(output, previous: expected)
    for line in actual.prefix(64) { _ = Expectations.pieces(of: line) }
    if let first = expected.first, let a = actual.first {
        _ = Expectations.tolerantlyEqual(first.text, a)
    }
    return 0
}
