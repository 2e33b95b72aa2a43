#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PsearchLang
import PsearchPlot

/// Tells an interpreter how plots may look on this process's standard output: the colour
/// style (NO_COLOR, not a terminal -> plain; COLORTERM truecolor -> 24-bit; else 256) and the
/// terminal's size, asked again at each plot so a resized window gets a fitting picture.
func configurePlots(_ interp: Interpreter) {
    let isTerminal = isatty(1) == 1
    var env = [String: String]()
    for key in ["NO_COLOR", "TERM", "COLORTERM"] {
        if let v = getenv(key) { env[key] = String(cString: v) }
    }
    interp.plotStyle = TerminalStyle.detect(environment: env, isTerminal: isTerminal)
    guard isTerminal else { return }
    interp.terminalSize = {
        var ws = winsize()
        guard ioctl(1, UInt(TIOCGWINSZ), &ws) == 0, ws.ws_col > 0, ws.ws_row > 0 else { return nil }
        return (Int(ws.ws_col), Int(ws.ws_row))
    }
}
