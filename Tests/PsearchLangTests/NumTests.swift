import Testing
@testable import PsearchCore
@testable import PsearchLang

@Suite struct NumTests {
    /// `num(str(x)) == x` for doubles drawn from every bit pattern (all exponents, subnormals,
    /// both zeros), not only the hand-picked ones in cases/builtins/num.ps.
    @Test func strRoundTripsThroughNum() throws {
        var bits = SplitMix64(seed: 2026)
        var xs: [Double] = []
        while xs.count < 20_000 {
            let x = Double(bitPattern: bits.next())
            if x.isFinite { xs.append(x) }
        }
        let sink = BufferSink()
        let interp = Interpreter(output: sink)
        interp.setGlobal("texts", .list(xs.map { .string(Value.number($0).display) }))
        interp.setGlobal("want", .tensor(Tensor(xs)))
        try interp.run("""
            let bad = 0
            for i in range(len(texts)) {
                if num(texts[i]) != want[i] { bad = bad + 1 }
            }
            print(bad, len(texts))
            """, name: "roundtrip.ps")
        #expect(sink.text == "0 20000\n")
        #expect(xs.contains { $0.isSubnormal } || xs.contains { $0.magnitude > 1e300 })
    }
}
