/* e-Surat branding for the Tryton web client sao (8.0).
 * sao's index.html loads this file after dist/tryton-sao.js and before the
 * page is ready, so Sao is defined and sao has not started yet.
 * bin/run copies it into var/sao/package/. */
(function() {
    'use strict';

    // Product name: used by Sao.set_title() for the page title and the
    // navbar, and for desktop notifications.
    Sao.config.title = 'e-Surat';

    // Before login sao calls Sao.i18n.setlang() without a language and then
    // takes the browser's one; open in Indonesian instead. After login the
    // user's preference language is used as usual.
    var setlang = Sao.i18n.setlang;
    Sao.i18n.setlang = function(lang) {
        return setlang.call(this, lang || 'id');
    };

    // sao's locale/id.json leaves the login screen untranslated; add the
    // missing messages when Indonesian is loaded (untranslated keys are '').
    var ID = {
        'Login': 'Masuk',
        'Database': 'Basis data',
        'User name': 'Nama pengguna',
        'Reset forgotten password': 'Atur ulang kata sandi yang terlupa',
        'Send you an email to reset your password.':
            'Kirim email untuk mengatur ulang kata sandi Anda.',
        'A request to reset your password has been sent.\nPlease check your mailbox.':
            'Permintaan atur ulang kata sandi telah dikirim.\n' +
            'Silakan periksa kotak surat Anda.',
        'Connection error': 'Kesalahan koneksi',
        'Could not connect to the server.': 'Tidak dapat terhubung ke server.',
        'Unable to reach the server.': 'Server tidak dapat dijangkau.',
        'Version mismatch': 'Versi tidak cocok',
        'Incompatible version of the server.': 'Versi server tidak cocok.',
        'Not found.': 'Tidak ditemukan.',
        'Logout': 'Keluar',
        'Favorites': 'Favorit',
        'Menu': 'Menu',
        'Search': 'Cari',
        'Search...': 'Cari...',
        'Filters': 'Filter',
        'Switch': 'Ganti Tampilan',
        'Reload/Undo': 'Muat Ulang/Urungkan',
        'Duplicate': 'Duplikat',
        'View Logs...': 'Lihat Log...',
        'Relate': 'Terkait',
        'Export': 'Ekspor',
        'Import': 'Impor',
        'Close Tab': 'Tutup Tab',
        'Create...': 'Buat...',
        'More': 'Lainnya',
        'Record saved.': 'Data tersimpan.',
        '"%1" is required.': '"%1" wajib diisi.',
        'Undelete': 'Batalkan Hapus',
        'Restore': 'Pulihkan',
    };
    var loadJSON = Sao.i18n.loadJSON;
    Sao.i18n.loadJSON = function(data, domain) {
        var headers = data[''] || {};
        if ((headers.language || '').split('_')[0] == 'id') {
            for (var key in ID) {
                if (!data[key]) {
                    data[key] = ID[key];
                }
            }
        }
        return loadJSON.call(this, data, domain);
    };

    // The login dialog is titled "Login" only: show the product name too.
    var login_dialog = Sao.Session.login_dialog;
    Sao.Session.login_dialog = function() {
        var dialog = login_dialog.apply(this, arguments);
        dialog.header.empty();
        dialog.add_title(
            Sao.config.title + ' \u2014 ' + Sao.i18n.gettext('Login'),
            Sao.__version__);
        return dialog;
    };
}());
