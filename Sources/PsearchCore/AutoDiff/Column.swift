/// A growable column of plain values in manually managed memory, owned by a `Tape`.
///
/// Replay reads and writes tape columns through raw pointers, without Swift array uniqueness
/// checks or retain/release; the owner frees the memory in its `deinit`.
package struct Column<T: BitwiseCopyable> {
    package private(set) var base: UnsafeMutablePointer<T>
    package private(set) var count = 0
    private(set) var capacity: Int

    package init(capacity: Int = 32) {
        self.capacity = max(capacity, 1)
        base = .allocate(capacity: self.capacity)
    }

    package func free() { base.deallocate() }

    package mutating func reserve(_ n: Int) {
        guard n > capacity else { return }
        var c = capacity
        while c < n { c *= 2 }
        let nb = UnsafeMutablePointer<T>.allocate(capacity: c)
        nb.update(from: base, count: count)
        base.deallocate()
        base = nb
        capacity = c
    }

    @inline(__always)
    package mutating func append(_ x: T) {
        if count == capacity { reserve(count + 1) }
        base[count] = x
        count += 1
    }

    /// Appends `n` copies of `x`; returns the index of the first.
    package mutating func append(repeating x: T, count n: Int) -> Int {
        let start = count
        reserve(count + n)
        (base + count).initialize(repeating: x, count: n)
        count += n
        return start
    }

    /// Sets the count (growing with `fill`); used to size adjoint columns to their value columns.
    package mutating func resize(_ n: Int, fill: T) {
        if n > count {
            _ = append(repeating: fill, count: n - count)
        } else {
            count = n
        }
    }

    package mutating func removeAll() { count = 0 }

    @inline(__always)
    package subscript(i: Int) -> T {
        get { base[i] }
        nonmutating set { base[i] = newValue }
    }
}
