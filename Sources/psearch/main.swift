// TEMPORARY entry point for the REPL branch: the lead's swift-argument-parser command replaces
// it and calls runREPL with the real PsearchLang engine.
#if canImport(Glibc)
import Glibc
#endif

let quiet = CommandLine.arguments.dropFirst().contains("--quiet")
exit(runREPL(engine: DemoEngine(), quiet: quiet))
