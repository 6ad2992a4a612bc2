internal import CGnuTLS
internal import CNGTCP2

/// The ngtcp2 callbacks: ngtcp2's GnuTLS helper for everything cryptographic, and
/// thin C-callable functions that hand the rest to the `QUICEngine` whose user data
/// they get. They run inside the engine's calls, under its owner's lock.
enum QUICCallbacks {
    static func make(server: Bool) -> ngtcp2_callbacks {
        var callbacks = ngtcp2_callbacks()
        if server {
            callbacks.recv_client_initial = ngtcp2_crypto_recv_client_initial_cb
        } else {
            callbacks.client_initial = ngtcp2_crypto_client_initial_cb
            callbacks.recv_retry = ngtcp2_crypto_recv_retry_cb
        }
        callbacks.recv_crypto_data = ngtcp2_crypto_recv_crypto_data_cb
        callbacks.encrypt = ngtcp2_crypto_encrypt_cb
        callbacks.decrypt = ngtcp2_crypto_decrypt_cb
        callbacks.hp_mask = ngtcp2_crypto_hp_mask_cb
        callbacks.update_key = ngtcp2_crypto_update_key_cb
        callbacks.delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb
        callbacks.delete_crypto_cipher_ctx = ngtcp2_crypto_delete_crypto_cipher_ctx_cb
        callbacks.get_path_challenge_data = ngtcp2_crypto_get_path_challenge_data_cb
        callbacks.version_negotiation = ngtcp2_crypto_version_negotiation_cb

        callbacks.rand = { destination, length, _ in
            _ = gnutls_rnd(GNUTLS_RND_RANDOM, destination, length)
        }
        callbacks.get_new_connection_id = { _, cid, token, length, user in
            let engine = QUICEngine.from(user)
            var fresh = QUICEngine.randomCID(length: length)
            cid!.pointee = fresh
            guard gnutls_rnd(GNUTLS_RND_RANDOM, token, Int(NGTCP2_STATELESS_RESET_TOKENLEN)) == 0 else {
                return NGTCP2_ERR_CALLBACK_FAILURE
            }
            engine.onNewConnectionID?(withUnsafeBytes(of: &fresh.data) { Array($0.prefix(length)) })
            return 0
        }
        callbacks.remove_connection_id = { _, cid, user in
            QUICEngine.from(user).onRetiredConnectionID?(QUICEngine.bytes(of: cid!.pointee))
            return 0
        }
        callbacks.handshake_completed = { _, user in
            QUICEngine.from(user).handshakeCompleted() ? 0 : NGTCP2_ERR_CALLBACK_FAILURE
        }
        callbacks.recv_stream_data = { _, flags, id, _, data, length, user, _ in
            let fin = flags & shim_NGTCP2_STREAM_DATA_FLAG_FIN() != 0
            QUICEngine.from(user).onStreamData(id, UnsafeBufferPointer(start: data, count: length), fin: fin)
            return 0
        }
        callbacks.stream_open = { _, id, user in
            QUICEngine.from(user).onStreamOpen(id)
            return 0
        }
        callbacks.stream_close = { _, _, id, _, user, _ in
            QUICEngine.from(user).onStreamClose(id)
            return 0
        }
        callbacks.stream_reset = { _, id, _, code, user, _ in
            QUICEngine.from(user).onStreamReset(id, code: code)
            return 0
        }
        callbacks.stream_stop_sending = { _, id, code, user, _ in
            QUICEngine.from(user).onStopSending(id, code: code)
            return 0
        }
        callbacks.acked_stream_data_offset = { _, id, offset, length, user, _ in
            QUICEngine.from(user).onAcked(id, upTo: offset + length)
            return 0
        }
        callbacks.extend_max_local_streams_bidi = { _, _, user in
            QUICEngine.from(user).onStreamsOpenable()
            return 0
        }
        callbacks.extend_max_stream_data = { _, id, _, user, _ in
            QUICEngine.from(user).onExtendStreamData(id)
            return 0
        }
        return callbacks
    }
}
