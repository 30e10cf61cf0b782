// This file is part of e-Surat. The COPYRIGHT file at the top level of
// this repository contains the full copyright notices and license terms.
// Pages always come from the server (never stale); only the offline page
// and the style are kept, to answer a navigation without a network.
'use strict';
var CACHE = 'esurat-mobile-1';
var scope = self.registration.scope;
var OFFLINE = scope + 'luring';
self.addEventListener('install', function(event) {
    event.waitUntil(caches.open(CACHE).then(function(cache) {
        return cache.addAll([OFFLINE, scope + 'static/app.css']);
    }));
    self.skipWaiting();
});
self.addEventListener('activate', function(event) {
    event.waitUntil(caches.keys().then(function(keys) {
        return Promise.all(keys.filter(function(key) {
            return key !== CACHE;
        }).map(function(key) {
            return caches.delete(key);
        }));
    }));
});
self.addEventListener('fetch', function(event) {
    if (event.request.mode !== 'navigate') {
        return;
    }
    event.respondWith(fetch(event.request).catch(function() {
        return caches.match(OFFLINE);
    }));
});
