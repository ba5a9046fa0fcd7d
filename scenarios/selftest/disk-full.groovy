// Run with --out on a file system that fills up (FaultsSpec mounts a 2 MiB tmpfs): the console
// transcript cannot be written, the test fails with "disk full" and the path, jvt exits 4.
scenario('disk full') {
    machine('box') {}

    test('fills the run directory') {
        // 3 MB of console output into a 2 MiB file system
        box.succeed 'head -c 3000000 /dev/zero | tr "\\000" x > /dev/console; echo', 120
        box.succeed 'true'
    }
}
