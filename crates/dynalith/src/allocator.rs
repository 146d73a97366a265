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
//!
//! jemalloc keeps its default arenas (four per CPU, made as threads first
//! allocate). One arena per CPU (`percpu_arena`) saved ~0.4 MB of idle
//! memory, but jemalloc turns it off, with a warning on stderr, whenever
//! the process may not run on every CPU (`taskset`, a container's cpuset):
//! every pinned benchmark ran without it, and users saw the warning.

#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;
