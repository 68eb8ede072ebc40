/*
 * lib_roots — a shared library that test_dlopen_roots loads with dlopen.
 * Its only job is to own two pointer slots in its own writable segments,
 * one in .bss and one in .data, so the test can keep collected objects
 * nowhere else. It does not call the collector and needs no -lswiftgc.
 */
#include <stddef.h>

/* Zero-initialised: lands in this library's .bss. */
static void *bss_slot;

/* The nonzero marker forces this into the library's .data. */
static struct {
    long marker;
    void *object;
} data_slot = { 7, NULL };

void roots_set_bss_pointer(void *object) { bss_slot = object; }
void *roots_get_bss_pointer(void) { return bss_slot; }

void roots_set_data_pointer(void *object) { data_slot.object = object; }
void *roots_get_data_pointer(void) { return data_slot.object; }

/* Where the slots are, so the test can confirm they lie inside this library. */
void *roots_bss_slot_address(void) { return &bss_slot; }
void *roots_data_slot_address(void) { return &data_slot.object; }
