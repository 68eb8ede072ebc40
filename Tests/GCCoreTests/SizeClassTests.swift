import Testing
@testable import GCCore

struct SizeClassTests {
    @Test func everySizeMapsToAClassThatFitsWithBoundedWaste() {
        var previousClass = 0
        for bytes in UInt(1)...SizeClass.largestObjectSize {
            let sizeClass = SizeClass.index(forBytes: bytes)
            let objectSize = SizeClass.objectSize(ofClass: sizeClass)
            #expect(sizeClass >= 0 && sizeClass < SizeClass.count, "class of \(bytes) bytes out of range")
            #expect(objectSize >= bytes, "class \(sizeClass) (\(objectSize) B) is too small for \(bytes) B")
            #expect(objectSize % 16 == 0, "class sizes should keep 16-byte alignment")
            if bytes > 128 {
                #expect((objectSize - bytes) * 8 <= bytes, "\(bytes) B wastes more than 1/8 in class \(objectSize)")
            }
            #expect(sizeClass >= previousClass, "classes should grow with the size")
            previousClass = sizeClass
            if bytes > 16 {
                let smaller = SizeClass.objectSize(ofClass: sizeClass - 1)
                #expect(smaller < bytes || sizeClass == 0, "\(bytes) B should use the smallest class that fits")
            }
        }
        #expect(SizeClass.objectSize(ofClass: SizeClass.count - 1) == SizeClass.largestObjectSize)
    }

    @Test func spansWasteLittleAndFitTheBitmaps() {
        for sizeClass in 0..<SizeClass.count {
            let size = SizeClass.objectSize(ofClass: sizeClass)
            let bytes = SizeClass.pagesPerSpan(ofClass: sizeClass) * PageMap.pageSize
            let objects = bytes / size
            #expect(objects >= 1 && objects <= Span.maximumObjectCount, "class \(size) B holds \(objects) objects")
            #expect((bytes - objects * size) * 8 <= bytes, "class \(size) B wastes more than 1/8 of its span")
        }
    }

    @Test func reciprocalDivisionIsExactForEveryOffset() {
        for sizeClass in 0..<SizeClass.count {
            let size = SizeClass.objectSize(ofClass: sizeClass)
            let reciprocal = Span.reciprocal(of: size)
            let bytes = SizeClass.pagesPerSpan(ofClass: sizeClass) * PageMap.pageSize
            var offset: UInt = 0
            while offset < bytes {
                let index = (UInt64(offset) &* reciprocal) >> 40
                #expect(index == UInt64(offset / size), "offset \(offset) in class \(size) B gave index \(index)")
                offset += offset % size == 0 ? size - 1 : 1
            }
        }
    }
}
