// expect 2 at line 3: file '/etc/x': cannot read .*bundles
def img = debian('bookworm') {
    file '/etc/x', from: 'bundles'
}
scenario('a Debian file from a folder') {
    machine('box') { image img }
}
