public enum PsearchLangVersion { public static let string = "0.1.0" }
