import Foundation
import Testing
@testable import PsearchCore

@Suite struct DatasetTests {
    @Test func digitsAreTheBundledScikitLearnSet() throws {
        let d = try Generators.digits()
        #expect(d.n == 1797 && d.d == 64 && d.k == 10)
        #expect(d.classNames == (0...9).map(String.init))
        #expect(d.y[0] == 0 && d.y[1] == 1)
        #expect(d.X.data.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect(d.X[0, 2] == 5.0 / 16)  // row 0: 0,0,5,13,...
        #expect(d.sampleShape == [8, 8])
    }

    @Test(arguments: Generators.names)
    func generatorsAreSeededAndShaped(name: String) throws {
        let a = try Generators.generate(name, n: 101, noise: 0.1, seed: 3)
        let b = try Generators.generate(name, n: 101, noise: 0.1, seed: 3)
        let c = try Generators.generate(name, n: 101, noise: 0.1, seed: 4)
        #expect(a == b)
        #expect(a.X != c.X)
        #expect(a.n == 101)
        if name == "linear" {
            #expect(a.kind == .regression && a.d == 1)
        } else {
            #expect(a.kind == .classification && a.d == 2)
            #expect(a.k == (name == "blobs" || name == "spiral" ? 3 : 2))
            #expect(Set(a.labels).count == a.k)
        }
    }

    @Test func unknownDatasetAndBadArguments() {
        #expect(throws: DataError.unknownDataset("iris")) { try Generators.generate("iris", seed: 1) }
        #expect(throws: DataError.self) { try Generators.moons(n: 1, seed: 1) }
        #expect(throws: DataError.self) { try Generators.blobs(classes: 1, seed: 1) }
    }

    @Test func imagesAreDogsAndCatsOf7x5x3() throws {
        let d = try Generators.images(n: 50, seed: 1)
        #expect(d.d == 105 && d.classNames == ["dog", "cat"] && d.sampleShape == [7, 5, 3])
        #expect(d.X.data.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect(try d.X.row(0).reshaped([7, 5, 3]).shape == [7, 5, 3])
        #expect(d.labels.filter { $0 == 1 }.count == 25)
    }

    @Test func splitIsSeededAndDisjoint() throws {
        let d = try Generators.moons(n: 100, seed: 1)
        let (tr, te) = try d.split(testFraction: 0.2, seed: 5)
        #expect(tr.n == 80 && te.n == 20)
        let (tr2, _) = try d.split(testFraction: 0.2, seed: 5)
        #expect(tr == tr2)
        #expect(throws: DataError.self) { try d.split(testFraction: 1.0, seed: 1) }
        #expect(throws: DataError.self) { try d.split(testFraction: 0.001, seed: 1) }
    }

    @Test func standardizeLeavesConstantColumnsAtZero() throws {
        let d = try Dataset(X: Tensor(shape: [3, 2], data: [1, 5, 2, 5, 3, 5]), y: [0, 1, 0], kind: .classification, classNames: ["a", "b"])
        let s = try d.standardized()
        #expect(abs(s.X[0, 0] + 1.224744871391589) < 1e-12)
        #expect(s.X[1, 0] == 0)
        #expect(s.X[0, 1] == 0 && s.X[2, 1] == 0)
    }
}

@Suite struct CSVTests {
    func parse(_ text: String, label: String = "species") throws(DataError) -> Dataset {
        try CSVLoader.parse(text: text, name: "t.csv", label: label)
    }

    @Test func stringLabelsSorted() throws {
        let d = try parse("a,b,species,name\n1,2,virginica,x\n3,4.5,setosa,y\n5,6,virginica,z\n")
        #expect(d.classNames == ["setosa", "virginica"])
        #expect(d.y == [1, 0, 1])
        #expect(d.featureNames == ["a", "b"])  // "name" is not numeric: skipped
        #expect(d.X == Tensor(shape: [3, 2], data: [1, 2, 3, 4.5, 5, 6]))
    }

    @Test func numericLabels() throws {
        let ints = try parse("x,y\n1,3\n2,1\n3,3\n", label: "y")
        // 0 ... 999 are their own ids, so a class absent from one file shifts no other.
        #expect(ints.kind == .classification && ints.classNames == ["0", "1", "2", "3"] && ints.y == [3, 1, 3])
        let wide = try parse("x,y\n1,-3\n2,1000\n3,-3\n4,+7\n", label: "y")
        #expect(wide.classNames == ["-3", "7", "1000"] && wide.y == [0, 2, 0, 1])
        let reals = try parse("x,y\n1,0.5\n2,1.5\n", label: "y")
        #expect(reals.kind == .regression && reals.y == [0.5, 1.5])
        let forced = try CSVLoader.parse(text: "x,y\n1,3\n2,1\n", name: "t.csv", label: "y", kind: .regression)
        #expect(forced.kind == .regression && forced.y == [3, 1])
        #expect(throws: DataError.csv(path: "t.csv", line: 3, column: "y", message: "'inf' is not a finite number (regression target)")) {
            try CSVLoader.parse(text: "x,y\n1,0.5\n2,inf\n", name: "t.csv", label: "y", kind: .regression)
        }
    }

    @Test func quotedFieldsAndBlankLines() throws {
        let d = try parse("\"a\",species\n\"1.5\",\"x, y\"\n\n2,z\n")
        #expect(d.classNames == ["x, y", "z"] && d.X.data == [1.5, 2])
    }

    @Test func errorsNameFileLineAndColumn() {
        #expect(throws: DataError.csv(path: "t.csv", line: 3, column: nil, message: "expected 3 fields, found 2")) {
            try parse("a,b,species\n1,2,x\n3,y\n")
        }
        #expect(throws: DataError.csv(path: "t.csv", line: 4, column: "b", message: "'abc' is not a number")) {
            try parse("a,b,species\n1,2,x\n3,4,y\n5,abc,x\n")
        }
        #expect(throws: DataError.csv(path: "t.csv", line: 2, column: "a", message: "missing value")) {
            try parse("a,b,species\n,2,x\n3,4,y\n")
        }
        #expect(throws: DataError.missingLabelColumn(path: "t.csv", label: "species", columns: ["a", "b"])) {
            try parse("a,b\n1,2\n")
        }
        #expect("\(DataError.csv(path: "t.csv", line: 4, column: "b", message: "'abc' is not a number"))" == "t.csv:4: column 'b': 'abc' is not a number")
    }

    @Test func numbersAreDecimalOnly() {
        for s in ["1", "-2.5", "+3", ".5", "5.", "1e3", "1E-2", "-0", "007"] { #expect(CSVLoader.number(s) != nil, "\(s)") }
        for s in ["0x1A", "1_000", "inf", "nan", "Infinity", "", ".", "e3", "1e", "1e+", "1.2.3", "--1", "1 2", "١"] {
            #expect(CSVLoader.number(s) == nil, "\(s)")
        }
    }

    @Test func delimiterIsSniffed() {
        #expect(CSVLoader.sniff("a;b;c\n1,5;2;3\n") == ";")
        #expect(CSVLoader.sniff("a\tb\n1\t2\n") == "\t")
        #expect(CSVLoader.sniff("a,b\n1,2\n") == ",")
        #expect(CSVLoader.sniff("\"x;y\",b\n1,2\n") == ",")
        #expect(CSVLoader.sniff("abc\n1\n") == ",")
    }

    @Test func lineNumbersCountNewlinesInQuotedFields() {
        #expect(throws: DataError.csv(path: "t.csv", line: 6, column: "a", message: "'x' is not a number")) {
            try parse("n,a,species\r\n\"u\r\nv\",1,p\r\n\"w\n\",2,q\r\nz,x,p\r\n")
        }
        #expect(throws: DataError.csv(path: "t.csv", line: 4, column: "a", message: "'x' is not a number")) {
            try parse("a,species\n\n1,p\nx,q\n")
        }
    }

    @Test func fixedClassesAndLike() throws {
        let train = try parse("a,b,species\n1,2,pos\n3,4,neg\n")
        var o = CSVLoader.Options(label: "species")
        o.like = train
        let test = try CSVLoader.parse(text: "b,species,a,extra\n5,neg,6,7\n", name: "t.csv", options: o)
        #expect(test.featureNames == ["a", "b"] && test.X.data == [6, 5] && test.y == [0])
        #expect(throws: DataError.csv(path: "t.csv", line: 1, column: nil, message: "no feature column 'a', which the dataset it is read like has (columns: b, species)")) {
            try CSVLoader.parse(text: "b,species\n5,neg\n", name: "t.csv", options: o)
        }
        var c = CSVLoader.Options(label: "y")
        c.classes = ["0", "1", "2"]
        #expect(try CSVLoader.parse(text: "x,y\n1,2.0\n2,0\n", name: "t.csv", options: c).y == [2, 0])
    }

    /// Found by the `load` fuzz target (csv-edge/duplicate_header.csv labelled `a`): the label's
    /// name came back as two feature names, and a file read `like:` a train file with repeated
    /// names took the first such column for each of them.
    @Test func repeatedHeaderNamesAreNumberedAsPandasDoes() throws {
        let d = try parse("a,a,b,a\n1,2,3,4\n5,6,7,8\n", label: "a")
        #expect(d.featureNames == ["a.1", "b", "a.2"] && d.X.data == [2, 3, 4, 6, 7, 8] && d.y == [1, 5])
        let train = try parse("a,a,species\n1,2,x\n3,4,y\n")
        var o = CSVLoader.Options(label: "species")
        o.like = train
        let test = try CSVLoader.parse(text: "species,a,a\nx,5,6\n", name: "t.csv", options: o)
        #expect(test.featureNames == ["a", "a.1"] && test.X.data == [5, 6])
        // pandas 3.1.1 reads the header `a,a.1,a,,` as these names.
        #expect(CSVLoader.headerNames(["a", "a.1", "a", "", ""]) == ["a", "a.1", "a.2", "Unnamed: 3", "Unnamed: 4"])
    }

    /// Found by the `load` fuzz target: with a label past 999, `2` and `2.0` were two classes,
    /// both named "2".
    @Test func aWholeLabelIsOneClassHoweverItIsSpelled() throws {
        let d = try parse("x,y\n3,90071994099\n1,2.0\n3,2\n4,2e0\n", label: "y")
        #expect(d.classNames == ["2", "90071994099"] && d.y == [1, 0, 0, 0])
        // Integers keep every digit, even where a Double cannot tell them apart.
        let big = try parse("x,y\n1,9007199254740993\n2,9007199254740992\n3,9007199254740992.0\n", label: "y")
        #expect(big.classNames == ["9007199254740992", "9007199254740993"] && big.y == [1, 0, 0])
    }

    @Test func loadsAFile() throws {
        let path = NSTemporaryDirectory() + "psearch-csv-\(UInt32.random(in: 0...UInt32.max)).csv"
        try "h,label\n1,a\n2,b\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let d = try CSVLoader.load(path: path, label: "label")
        #expect(d.n == 2 && d.classNames == ["a", "b"])
        #expect(throws: DataError.cannotRead(path: "/nonexistent/x.csv", reason: "no such file")) {
            try CSVLoader.load(path: "/nonexistent/x.csv", label: "label")
        }
    }
}
