// expect 2 at line 5: content must be text or bytes
scenario('a number as file content') {
    machine('box') {
        guest {
            file '/etc/motd', 42
        }
    }
}
