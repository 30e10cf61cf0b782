// This file is part of e-Surat. The COPYRIGHT file at the top level of
// this repository contains the full copyright notices and license terms.
// Progressive enhancement only: every page works without it.
'use strict';
(function() {
    var base = document.body.dataset.base;
    if ('serviceWorker' in navigator && base) {
        navigator.serviceWorker.register(base + 'sw.js', {scope: base});
    }
    // A form that takes a while (signing) says so and is not sent twice
    Array.prototype.forEach.call(
        document.querySelectorAll('form[data-progress]'), function(form) {
            form.addEventListener('submit', function() {
                var button = form.querySelector('button[type=submit]');
                button.disabled = true;
                button.textContent = form.dataset.progress;
            });
        });
    // The recipients of a disposition filtered as one types, with the
    // words the server gave each (abbreviations expanded, holders' names)
    var search = document.getElementById('recipient-search');
    var list = document.getElementById('recipients');
    if (!search || !list) {
        return;
    }
    var abbreviations = JSON.parse(search.dataset.abbreviations || '{}');
    function words(text) {
        return text.toLowerCase().normalize('NFKD')
            .replace(/[\u0300-\u036f]/g, '').split(/[^\p{L}\p{N}_]+/u)
            .filter(Boolean).map(function(w) {
                return abbreviations[w] || w;
            }).join(' ').split(' ');
    }
    search.addEventListener('input', function() {
        var wanted = words(search.value);
        Array.prototype.forEach.call(list.children, function(item) {
            var keys = item.dataset.words || '';
            item.hidden = !wanted.every(function(w) {
                return keys.indexOf(w) >= 0;
            }) && !item.querySelector('input:checked');
        });
    });
    search.form.addEventListener('submit', function(event) {
        event.preventDefault();
    });
})();
