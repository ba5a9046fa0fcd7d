// expect 2 at line 3: file '/etc/x': cannot read .*no-such-local-file
def img = debian('bookworm') {
    file '/etc/x', from: 'no-such-local-file'
}
scenario('a Debian file from nowhere') {
    machine('box') { image img }
}
