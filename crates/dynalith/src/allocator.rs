//! The process's memory allocator: jemalloc, for Rust and for RocksDB's C++.
//!
//! A read at scale decompresses SST blocks into the block cache and evicts
//! others, so the allocator sees a steady churn of 4 KB blocks freed in
//! another order than they were taken. glibc's malloc serves those outside
//! its per-thread caches and fragments under them: at 1M items its
//! `_int_malloc`/`_int_free` took a fifth of a Query's time and the heap
//! grew to 180 MB. jemalloc's size classes keep both down (docs/design.md,
//! "Memory allocator"). `unprefixed_malloc_on_supported_platforms` makes it
//! the process's `malloc`, so RocksDB's `new` and `malloc` use it too.

#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's compile-time options, read before `main`. One arena per CPU
/// rather than jemalloc's default of four: request and RocksDB threads
/// share them through their thread caches, and each arena left untouched
/// is memory an idle server does not map.
#[export_name = "malloc_conf"]
static JEMALLOC_CONF: &[u8; 20] = b"percpu_arena:percpu\0";
