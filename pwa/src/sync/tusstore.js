// tus-js-client's URL storage in IndexedDB (its default is localStorage, which Safari clears
// with everything else but which also is not written in the same place as the media): the
// upload URL of each unfinished file survives reloads and app kills, so an upload resumes at
// the server's offset instead of starting over.
export class DexieUrlStorage {
  constructor(database) {
    this.db = database;
  }

  async findAllUploads() {
    return (await this.db.tusurls.toArray()).map((row) => ({ ...row.upload, urlStorageKey: row.key }));
  }

  async findUploadsByFingerprint(fingerprint) {
    const rows = await this.db.tusurls.where("fingerprint").equals(fingerprint).toArray();
    return rows.map((row) => ({ ...row.upload, urlStorageKey: row.key }));
  }

  async removeUpload(urlStorageKey) {
    await this.db.tusurls.delete(urlStorageKey);
  }

  async addUpload(fingerprint, upload) {
    const key = `tus::${fingerprint}::${Date.now()}::${Math.random().toString(36).slice(2)}`;
    await this.db.tusurls.put({ key, fingerprint, upload });
    return key;
  }
}
