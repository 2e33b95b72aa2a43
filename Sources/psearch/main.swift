import PsearchLang
print("psearch \(PsearchLangVersion.string)")
