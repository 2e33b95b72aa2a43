import FuzzSupport
import PsearchLang

/// Parser + resolver + interpreter on arbitrary bytes, with a step budget so `while true {}`
/// ends, a small tensor cap so no input allocates gigabytes, and a shallow call depth. Any
/// input must end in output, a syntax error or a runtime error: never a trap.
/// The shallow depth also lets each run use a small value stack and a 64 MiB machine stack
/// instead of the CLI's million slots and 1 GiB.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRun(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    withDeepStack(bytes: 64 << 20) {
        var limits = Limits()
        limits.maxElements = 10_000
        limits.maxCallDepth = 200
        limits.stackSlots = 1 << 15
        limits.maxSteps = 20_000
        let interp = Interpreter(output: BufferSink(), limits: limits)
        do {
            try interp.run(bytes: bytes, name: "fuzz.ps")
        } catch let e as DiagnosticList {
            _ = e.render(interp.sources)
        } catch let e as Diagnostic {
            _ = e.render(interp.sources)
        } catch {
            // Interrupted or an output error: clean ends too.
        }
    }
    return 0
}
