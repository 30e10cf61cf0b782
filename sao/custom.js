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
        'Open the record': 'Buka data',
        'Clear the field': 'Kosongkan isian',
        'Search a record': 'Cari data',
        'Clear Search': 'Hapus Pencarian',
        'Bookmark this filter': 'Simpan filter ini',
        'Bookmarks': 'Filter Tersimpan',
        'Remove this bookmark': 'Hapus filter tersimpan ini',
        'Bookmark Name:': 'Nama Filter:',
        'Create a new record': 'Buat data baru',
        'Save this record': 'Simpan data ini',
        'Switch view': 'Ganti tampilan',
        'Previous Record': 'Data Sebelumnya',
        'Next Record': 'Data Berikutnya',
        'Reload': 'Muat Ulang',
        'Show revisions...': 'Lihat revisi...',
        'Add an attachment to the record': 'Tambahkan lampiran ke data ini',
        'Add a note to the record': 'Tambahkan catatan ke data ini',
        'Chat': 'Percakapan',
        'Chat on the record': 'Percakapan tentang data ini',
        'Send an email using the record': 'Kirim email dari data ini',
        'Launch action': 'Jalankan aksi',
        'Open related records': 'Buka data terkait',
        'This record has been modified\ndo you want to save it?':
            'Data ini telah diubah.\nSimpan perubahan?',
        'Working now on the duplicated record(s).':
            'Sekarang bekerja pada data hasil duplikasi.',
        'Are you sure to remove this record?': 'Yakin menghapus data ini?',
        'Are you sure to remove those records?':
            'Yakin menghapus data-data ini?',
        'Records removed.': 'Data dihapus.',
        'Records not removed.': 'Data tidak dihapus.',
        'You have to select one record.': 'Pilih satu data.',
        'Add...': 'Tambah...',
        'Create "%1"...': 'Buat "%1"...',
        'Show active records': 'Tampilkan data aktif',
        'Show inactive records': 'Tampilkan data nonaktif',
        'Find': 'Cari',
        'Modified by': 'Diubah oleh',
        'Modified at': 'Diubah pada',
        '"%1" is not valid according to its domain.':
            '"%1" tidak sesuai dengan ketentuannya.',
        'The values of "%1" are not valid.': 'Nilai "%1" tidak sah.',
        'Concurrency Warning': 'Peringatan Perubahan Bersamaan',
        'Choose:': 'Pilih:',
        '"Cancel" to cancel saving;': '"Batal" untuk membatalkan penyimpanan;',
        '"Compare" to see the modified version;':
            '"Bandingkan" untuk melihat versi yang diubah;',
        '"Write Anyway" to save your current version.':
            '"Tetap Simpan" untuk menyimpan versi Anda.',
        'Application Error': 'Kesalahan Aplikasi',
        'Details': 'Rincian',
        'Processing': 'Memproses',
        'Show': 'Tampilkan',
        'Hide': 'Sembunyikan',
        'Discard changes': 'Buang perubahan',
        'Save and New': 'Simpan dan Baru',
        'Add and New': 'Tambah dan Baru',
        'Apply changes': 'Terapkan perubahan',
        'Attachments (%1)': 'Lampiran (%1)',
        'Notes (%1)': 'Catatan (%1)',
        'Logs (%1)': 'Log (%1)',
        'Search %1': 'Cari %1',
        'Error': 'Kesalahan',
        'Add to favorites': 'Tambahkan ke favorit',
        'Remove from favorites': 'Hapus dari favorit',
        'Check menu entries to add favorites':
            'Centang entri menu untuk menambahkan favorit',
        'Previous tab': 'Tab sebelumnya',
        'Next tab': 'Tab berikutnya',
        'Global search': 'Pencarian global',
        'Help': 'Bantuan',
        'Enter a message': 'Tulis pesan',
        'Submit the message': 'Kirim pesan',
        'No notifications at this time': 'Belum ada notifikasi',
        'All Notifications...': 'Semua Notifikasi...',
        'Preferences...': 'Preferensi...',
        'Help...': 'Bantuan...',
        'Copy Selected Rows': 'Salin Baris Terpilih',
        'Reset Column Widths': 'Atur Ulang Lebar Kolom',
        'Login with': 'Masuk dengan',
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

    // The login dialog is titled "Login" only: show the product name too,
    // and not sao's version, which tells users nothing (and an attacker
    // which release to aim at). custom.css hides the database field when
    // the server serves a single database.
    var login_dialog = Sao.Session.login_dialog;
    Sao.Session.login_dialog = function() {
        var dialog = login_dialog.apply(this, arguments);
        dialog.header.empty();
        dialog.add_title(
            Sao.config.title + ' \u2014 ' + Sao.i18n.gettext('Login'));
        return dialog;
    };
}());
