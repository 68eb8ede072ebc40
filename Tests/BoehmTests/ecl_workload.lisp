;; ECL workload for Tests/BoehmTests/run.sh: trees, a 200 000-entry hash
;; table and a long string, so that the collector runs many times.
(defun make-tree (d) (if (= d 0) (cons nil nil) (cons (make-tree (1- d)) (make-tree (1- d)))))
(defun check (tr) (if (car tr) (+ 1 (check (car tr)) (check (cdr tr))) 1))
(let ((sum 0)) (dotimes (i 40) (setf sum (+ sum (check (make-tree 14))))) (format t "trees checked: ~a~%" sum))
(let ((h (make-hash-table :test 'equal))) (dotimes (i 200000) (setf (gethash (format nil "key~a" i) h) (list i (* i i)))) (format t "hash entries: ~a, entry 12345: ~a~%" (hash-table-count h) (gethash "key12345" h)))
(format t "~a~%" (length (with-output-to-string (s) (dotimes (i 100000) (princ i s)))))
