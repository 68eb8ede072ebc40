import GCCore
import _CSwiftGC

extension GC {
    /// Adds `finalizer` to run once after a collection finds the object at
    /// `pointer` unreachable. Corresponds to `gc_register_finalizer`.
    ///
    /// The finalizer receives the object, which survives until the
    /// finalizer has run and is reclaimed by a later collection unless the
    /// finalizer stores it somewhere reachable. Finalizers follow
    /// topological order: if finalizable A points to finalizable B, B's
    /// finalizers run only after A has been reclaimed; finalizable objects
    /// in a cycle are never finalized. Several finalizers added to one
    /// object run in the order they were added, together. They run on the
    /// thread whose allocation or `collect()` ran the collection, when that
    /// call returns, or in ``runFinalizers()`` if ``finalizeOnDemand`` is set.
    ///
    /// The closure must not capture the object itself (Swift memory is not
    /// scanned, so capturing does not keep it alive, but the pointer
    /// arrives as the argument anyway). `pointer` must point into a live
    /// collected object; otherwise nothing is registered.
    public static func addFinalizer(to pointer: UnsafeMutableRawPointer,
                                    _ finalizer: @escaping (UnsafeMutableRawPointer) -> Void) {
        var previousFunction: gc_finalizer? = nil
        var previousData: UnsafeMutableRawPointer? = nil
        // Remove the current registration, then register a box running it and the new closure.
        gc_register_finalizer_with_order(pointer, nil, nil, 0, &previousFunction, &previousData)
        var closure = finalizer
        if let previousFunction {
            if isBoxRunner(previousFunction), let previousData {
                let earlier = Unmanaged<FinalizerBox>.fromOpaque(previousData).takeRetainedValue().body
                closure = { object in
                    earlier(object)
                    finalizer(object)
                }
            } else {
                closure = { object in
                    previousFunction(object, previousData)
                    finalizer(object)
                }
            }
        }
        let box = Unmanaged.passRetained(FinalizerBox(closure)).toOpaque()
        gc_register_finalizer_with_order(pointer, runFinalizerBox, box, 0, nil, nil)
    }

    /// Removes every finalizer of the object at `pointer`.
    public static func removeFinalizers(from pointer: UnsafeMutableRawPointer) {
        var previousFunction: gc_finalizer? = nil
        var previousData: UnsafeMutableRawPointer? = nil
        gc_register_finalizer_with_order(pointer, nil, nil, 0, &previousFunction, &previousData)
        if let previousFunction, isBoxRunner(previousFunction), let previousData {
            Unmanaged<FinalizerBox>.fromOpaque(previousData).release()
        }
    }

    /// Runs the finalizers that are ready now, on this thread, and returns
    /// how many ran. Corresponds to `gc_run_finalizers`.
    @discardableResult
    public static func runFinalizers() -> Int {
        Int(gc_run_finalizers())
    }

    /// When true, finalizers run only in ``runFinalizers()``. Corresponds
    /// to `gc_set_finalize_on_demand`.
    public static var finalizeOnDemand: Bool {
        get { gc_get_finalize_on_demand() != 0 }
        set { gc_set_finalize_on_demand(newValue ? 1 : 0) }
    }

    /// A reference that does not keep its target alive and reads nil once
    /// the target has been reclaimed. Corresponds to `gc_register_long_weak_link`:
    /// the reference is cleared exactly when the target is reclaimed (after
    /// any finalizer of the target has run and let it go), never while the
    /// target is reachable.
    public final class WeakReference: @unchecked Sendable {
        /// Link storage from the system allocator, which the collector does not scan.
        private let link: UnsafeMutablePointer<UnsafeMutableRawPointer?>

        /// A weak reference to the collected object `target` points into.
        public init(_ target: UnsafeMutableRawPointer) {
            link = .allocate(capacity: 1)
            link.initialize(to: target)
            _ = gc_register_long_weak_link(link, target)
        }

        /// The target, or nil once it has been reclaimed.
        public var target: UnsafeMutableRawPointer? {
            link.pointee
        }

        deinit {
            _ = gc_unregister_long_weak_link(link)
            link.deallocate()
        }
    }
}

private final class FinalizerBox {
    let body: (UnsafeMutableRawPointer) -> Void
    init(_ body: @escaping (UnsafeMutableRawPointer) -> Void) { self.body = body }
}

private let runFinalizerBox: gc_finalizer = { object, data in
    guard let object, let data else { return }
    let box = Unmanaged<FinalizerBox>.fromOpaque(data).takeRetainedValue()
    box.body(object)
}

private func isBoxRunner(_ function: gc_finalizer) -> Bool {
    unsafeBitCast(function, to: UnsafeRawPointer.self) == unsafeBitCast(runFinalizerBox, to: UnsafeRawPointer.self)
}
