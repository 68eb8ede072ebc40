import Testing
@testable import GCCore

/// The word-array bitmap behind a span's live, mark and quarantine bits.
struct BitmapTests {
    /// Calls `body` with a zeroed 16-word bitmap.
    private func withBitmap(_ body: (Bitmap) -> Void) {
        let words = UnsafeMutablePointer<UInt64>.allocate(capacity: 16)
        defer { words.deallocate() }
        words.initialize(repeating: 0, count: 16)
        body(Bitmap(words: words))
    }

    @Test func bitISitsInBitIModulo64OfWordIDividedBy64() {
        withBitmap { bitmap in
            for index in 0..<1024 {
                bitmap.set(index)
                for word in 0..<16 {
                    let expected: UInt64 = word == index / 64 ? 1 << UInt64(index % 64) : 0
                    if bitmap.words[word] != expected {
                        Issue.record("after setting bit \(index), word \(word) should be \(expected), is \(bitmap.words[word])")
                    }
                }
                #expect(bitmap.isSet(index), "bit \(index) should read as set after set")
                bitmap.clear(index)
                #expect(!bitmap.isSet(index) && bitmap.populationCount(wordCount: 16) == 0,
                        "clearing bit \(index) should leave the bitmap empty")
            }
        }
    }

    @Test func testAndSetReportsWhetherTheBitWasAlreadySet() {
        withBitmap { bitmap in
            #expect(!bitmap.testAndSet(130), "the first testAndSet of a clear bit should report it clear")
            #expect(bitmap.testAndSet(130), "the second testAndSet should report the bit already set")
            #expect(!bitmap.atomicTestAndSet(131), "the first atomicTestAndSet of a clear bit should report it clear")
            #expect(bitmap.atomicTestAndSet(131), "the second atomicTestAndSet should report the bit already set")
            #expect(bitmap.words[2] == 0b11 << 2, "bits 130 and 131 should be bits 2 and 3 of word 2")
        }
    }

    @Test func populationCountAndClearAllCoverOnlyTheWordsGiven() {
        withBitmap { bitmap in
            for index in stride(from: 0, to: 1024, by: 3) { bitmap.set(index) }
            #expect(bitmap.populationCount(wordCount: 16) == 342, "every third of 1024 bits should count 342")
            #expect(bitmap.populationCount(wordCount: 1) == 22, "word 0 alone should hold 22 of them")
            bitmap.clearAll(wordCount: 8)
            #expect(bitmap.populationCount(wordCount: 8) == 0, "clearAll should clear the words given")
            #expect(bitmap.populationCount(wordCount: 16) == 171, "clearAll should leave the later words alone")
        }
    }

    @Test func validBitsMaskCoversExactlyTheBitsBelowTheCount() {
        #expect(validBitsMask(wordIndex: 0, bitCount: 64) == ~0, "a full first word should be all valid")
        #expect(validBitsMask(wordIndex: 5, bitCount: 341) == (1 << 21) - 1, "word 5 of 341 bits should hold 21 valid bits")
        #expect(validBitsMask(wordIndex: 6, bitCount: 341) == 0, "a word past the count should hold no valid bit")
        #expect(validBitsMask(wordIndex: 1, bitCount: 65) == 1, "word 1 of 65 bits should hold one valid bit")
        #expect(validBitsMask(wordIndex: 0, bitCount: 0) == 0, "no bit is valid in an empty bitmap")
    }
}
