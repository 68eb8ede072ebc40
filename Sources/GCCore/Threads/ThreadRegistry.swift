import _CSwiftGC

/// A record in a singly linked list of records in metadata.
protocol ListLinked {
    var next: UnsafeMutablePointer<Self>? { get set }
}

/// Removes `record` from the list starting at `head`, if it is there.
func unlink<Record: ListLinked>(_ record: UnsafeMutablePointer<Record>,
                                from head: inout UnsafeMutablePointer<Record>?) {
    if head == record {
        head = record.pointee.next
        return
    }
    var cursor = head
    while let current = cursor {
        if current.pointee.next == record {
            current.pointee.next = record.pointee.next
            return
        }
        cursor = current.pointee.next
    }
}

/// One registered thread. The suspend handler (C) writes `suspension`,
/// which must stay the first field.
struct ThreadRecord: ListLinked {
    var suspension = swiftgc_suspension()
    var next: UnsafeMutablePointer<ThreadRecord>? = nil
    /// pthread_t of the thread.
    var thread: UInt = 0
    /// Highest address of its stack; for threads other than the main one,
    /// the top of the stack mapping, which also holds its static TLS.
    var stackBase: UInt = 0
    /// Lowest address of its stack, or 0 when unknown (the main thread).
    var stackLimit: UInt = 0
    /// Its thread pointer, which locates its thread-local storage.
    var threadPointer: UInt = 0
    /// Whether it was created detached or has been detached: then its
    /// result is not kept when it finishes.
    var isDetached = false
    /// The thread's allocation cache, kept with the record for reuse.
    var cache: UnsafeMutablePointer<ThreadCache>? = nil
}

/// A word the pthread wrappers hand between threads, which is a root while
/// the record is on a list:
/// - a thread being started: its start routine and argument, until the new
///   thread has registered and taken them;
/// - a finished joinable thread: its result (in `argument`), until it is
///   joined or detached.
struct StartRecord: ListLinked {
    var start: (@convention(c) (UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer?)? = nil
    var argument: UnsafeMutableRawPointer? = nil
    var next: UnsafeMutablePointer<StartRecord>? = nil
    /// pthread_t of the finished thread, for a result.
    var thread: UInt = 0
    var isDetached = false
}

/// The registered threads, and records kept for reuse so that thread churn
/// does not grow metadata. Changed only under the heap lock.
struct ThreadRegistry {
    var threads: UnsafeMutablePointer<ThreadRecord>? = nil
    var freeRecords: UnsafeMutablePointer<ThreadRecord>? = nil
    var pendingStarts: UnsafeMutablePointer<StartRecord>? = nil
    /// Results of finished threads not yet joined or detached.
    var unjoinedResults: UnsafeMutablePointer<StartRecord>? = nil
    var freeStarts: UnsafeMutablePointer<StartRecord>? = nil
    var registeredCount = 0
    /// Collections that waited over 5 s for threads to stop (warned about
    /// with `reportRepeatedLine`; under the heap lock).
    var slowStopWarnings: UInt64 = 0

    mutating func acquireStartRecord(metadata: inout Metadata) -> UnsafeMutablePointer<StartRecord>? {
        guard let record = newStartRecord(metadata: &metadata) else { return nil }
        record.pointee.next = pendingStarts
        pendingStarts = record
        return record
    }

    mutating func releaseStartRecord(_ record: UnsafeMutablePointer<StartRecord>) {
        unlink(record, from: &pendingStarts)
        recycle(record)
    }

    /// Keeps the calling thread's result as a root unless it is detached.
    mutating func keepResult(_ result: UnsafeMutableRawPointer?, metadata: inout Metadata) {
        guard let raw = swiftgc_thread_record() else { return }
        let thread = raw.assumingMemoryBound(to: ThreadRecord.self)
        guard !thread.pointee.isDetached, result != nil,
              let record = newStartRecord(metadata: &metadata) else { return }
        record.pointee.argument = result
        record.pointee.thread = thread.pointee.thread
        record.pointee.next = unjoinedResults
        unjoinedResults = record
    }

    /// Drops the result kept for `thread`; a detached thread that is still
    /// running will keep none.
    mutating func resultTaken(thread: UInt, isDetach: Bool) {
        if isDetach {
            var cursor = threads
            while let record = cursor {
                if record.pointee.thread == thread { record.pointee.isDetached = true }
                cursor = record.pointee.next
            }
        }
        var cursor = unjoinedResults
        while let record = cursor {
            cursor = record.pointee.next
            if record.pointee.thread == thread {
                unlink(record, from: &unjoinedResults)
                recycle(record)
            }
        }
    }

    private mutating func newStartRecord(metadata: inout Metadata) -> UnsafeMutablePointer<StartRecord>? {
        let record: UnsafeMutablePointer<StartRecord>
        if let reused = freeStarts {
            freeStarts = reused.pointee.next
            record = reused
        } else {
            guard let raw = metadata.allocate(bytes: UInt(MemoryLayout<StartRecord>.stride), alignment: 16) else {
                return nil
            }
            record = raw.bindMemory(to: StartRecord.self, capacity: 1)
        }
        record.initialize(to: StartRecord())
        return record
    }

    private mutating func recycle(_ record: UnsafeMutablePointer<StartRecord>) {
        record.pointee = StartRecord(next: freeStarts)
        freeStarts = record
    }

    /// Registers the calling thread if it is not yet registered.
    mutating func registerCurrentThread(heap: inout Heap) -> UnsafeMutablePointer<ThreadRecord>? {
        if let existing = swiftgc_thread_record() {
            return existing.assumingMemoryBound(to: ThreadRecord.self)
        }
        let record: UnsafeMutablePointer<ThreadRecord>
        if let reused = freeRecords {
            freeRecords = reused.pointee.next
            record = reused
        } else {
            guard let raw = heap.metadata.allocate(bytes: UInt(MemoryLayout<ThreadRecord>.stride)) else { return nil }
            record = raw.bindMemory(to: ThreadRecord.self, capacity: 1)
            record.initialize(to: ThreadRecord())
        }
        if record.pointee.cache == nil {
            guard let cache = heap.makeCache() else {
                record.pointee.next = freeRecords
                freeRecords = record
                return nil
            }
            record.pointee.cache = cache
        }
        record.pointee.suspension = swiftgc_suspension()
        record.pointee.thread = swiftgc_current_thread()
        record.pointee.threadPointer = swiftgc_thread_pointer()
        record.pointee.isDetached = false
        record.pointee.stackBase = UInt(bitPattern: OS.currentStackBase)
        record.pointee.stackLimit = UInt(bitPattern: OS.currentStackLimit)
        record.pointee.next = threads
        threads = record
        registeredCount += 1
        swiftgc_set_thread_cache(UnsafeMutableRawPointer(record.pointee.cache))
        swiftgc_set_thread_record(UnsafeMutableRawPointer(record))
        OS.armThreadExitKey(UnsafeMutableRawPointer(record))
        OS.acceptStopSignals()
        return record
    }

    /// Unregisters the calling thread; its cache gives back the slots it
    /// reserved and stays with the record for the next thread.
    mutating func unregisterCurrentThread() {
        guard let raw = swiftgc_thread_record() else { return }
        let record = raw.assumingMemoryBound(to: ThreadRecord.self)
        swiftgc_set_thread_record(nil)
        swiftgc_set_thread_cache(nil)
        remove(record)
    }

    /// Removes every thread but the calling one: after fork, only it exists.
    mutating func forgetOtherThreads() {
        let current = swiftgc_thread_record()?.assumingMemoryBound(to: ThreadRecord.self)
        var cursor = threads
        while let record = cursor {
            cursor = record.pointee.next
            if record != current { remove(record) }
        }
    }

    private mutating func remove(_ record: UnsafeMutablePointer<ThreadRecord>) {
        unlink(record, from: &threads)
        if let cache = record.pointee.cache {
            for index in 0..<ThreadCache.entryCount { (cache.pointee.entriesStorage + index).flush() }
        }
        record.pointee.next = freeRecords
        freeRecords = record
        registeredCount -= 1
    }
}
