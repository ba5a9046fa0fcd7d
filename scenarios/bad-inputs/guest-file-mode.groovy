// expect 2 at line 5: mode 'rwx' is not octal
scenario('a file mode that is not octal') {
    machine('box') {
        guest {
            file '/etc/motd', 'hello', 'rwx'
        }
    }
}
