//! Dataset import with progress, preview, rename, delete, damaged files.

use stratagraph_api::datasets::{self, ImportRequest};
use stratagraph_api::ErrorCode;

use crate::{fresh, recorder};

fn req(path: &std::path::Path) -> ImportRequest {
    ImportRequest {
        path: path.to_string_lossy().into_owned(),
        name: "Test data".into(),
        symbol: "TEST".into(),
        timeframe: "1d".into(),
    }
}

#[tokio::test]
async fn import_preview_rename_delete() {
    let (dir, ctx, _) = fresh().await;
    let csv = dir.path().join("prices.csv");
    std::fs::write(&csv, stratagraph_api::examples::SAMPLE_CSV).unwrap();

    let preview = datasets::preview(csv.to_str().unwrap()).unwrap();
    assert_eq!(preview.rows.len(), 20);
    assert!(preview.missing.is_empty());
    let roles: Vec<_> = preview
        .columns
        .iter()
        .map(|c| c.role.clone().unwrap())
        .collect();
    assert_eq!(roles, ["time", "open", "high", "low", "close", "volume"]);

    let (seen, sink) = recorder();
    let ds = datasets::import(&ctx, req(&csv), sink).await.unwrap();
    assert_eq!(ds.symbol, "TEST");
    assert!(ds.first.starts_with("2015-01-02"));
    let progress = seen.lock().unwrap().clone();
    assert_eq!(progress.first().unwrap().stage, "importing");
    assert_eq!(progress.last().unwrap().stage, "done");
    assert!(progress.iter().all(|p| p.job_id == progress[0].job_id));

    let bars = datasets::load(&ctx, &ds.id).unwrap();
    assert_eq!(bars.len() as u32, ds.bars);
    let renamed = datasets::rename(&ctx, &ds.id, "Renamed").unwrap();
    assert_eq!(renamed.name, "Renamed");
    assert_eq!(datasets::get(&ctx, &ds.id).unwrap().name, "Renamed");
    datasets::delete(&ctx, &ds.id).unwrap();
    assert_eq!(
        datasets::get(&ctx, &ds.id).unwrap_err().code,
        ErrorCode::NotFound
    );
    assert_eq!(datasets::list(&ctx).unwrap().len(), 1); // the sample stays
}

#[tokio::test]
async fn a_bad_row_names_its_line_and_leaves_nothing_behind() {
    let (dir, ctx, _) = fresh().await;
    let csv = dir.path().join("bad.csv");
    std::fs::write(
        &csv,
        "Date,Open,High,Low,Close,Volume\n2024-01-01,1,2,0.5,1.5,10\n2024-01-02,1,0.5,2,1.5,10\n",
    )
    .unwrap();
    let (_, sink) = recorder();
    let err = datasets::import(&ctx, req(&csv), sink).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Invalid);
    assert!(err.message.contains("line 3"), "{}", err.message);
    assert_eq!(datasets::list(&ctx).unwrap().len(), 1);

    let (_, sink) = recorder();
    let mut r = req(&csv);
    r.name = "  ".into();
    assert_eq!(
        datasets::import(&ctx, r, sink).await.unwrap_err().code,
        ErrorCode::Invalid
    );
    let (_, sink) = recorder();
    let missing = dir.path().join("missing.csv");
    assert_eq!(
        datasets::import(&ctx, req(&missing), sink)
            .await
            .unwrap_err()
            .code,
        ErrorCode::Io
    );
    assert_eq!(datasets::preview("").unwrap_err().code, ErrorCode::Invalid);
    assert_eq!(
        datasets::get(&ctx, "../x").unwrap_err().code,
        ErrorCode::Invalid
    );
}

#[tokio::test]
async fn a_damaged_dataset_file_is_an_error_not_a_panic() {
    let (dir, ctx, _) = fresh().await;
    let ds = datasets::list(&ctx).unwrap().remove(0);
    let file = dir.path().join("datasets").join(format!("{}.bars", ds.id));
    let mut bytes = std::fs::read(&file).unwrap();
    bytes.truncate(bytes.len() / 2);
    std::fs::write(&file, bytes).unwrap();
    let err = datasets::load(&ctx, &ds.id).unwrap_err();
    assert_eq!(err.code, ErrorCode::Io);
}

#[tokio::test]
async fn binance_and_metatrader_files_preview_with_their_layout_and_import() {
    let (dir, ctx, _) = fresh().await;
    let binance = dir.path().join("BTCUSDT-1h-2024-01.csv");
    std::fs::write(
        &binance,
        "1704153600000,42000.0,42100.0,41900.0,42050.0,12.5,1704157199999,525000.0,42,6.0,260000.0,0\n\
         1704157200000,42050.0,42200.0,42000.0,42150.0,10.0,1704160799999,421000.0,40,5.0,210000.0,0\n",
    )
    .unwrap();
    let p = datasets::preview(binance.to_str().unwrap()).unwrap();
    assert_eq!(
        p.layout,
        "Binance kline dump (no header, 12 columns), comma-separated"
    );
    assert_eq!(p.rows.len(), 2, "the first line is data");
    assert!(p.missing.is_empty(), "{:?}", p.missing);
    let roles: Vec<_> = p.columns.iter().map(|c| c.role.clone()).collect();
    assert_eq!(
        roles[..6],
        [
            Some("time".into()),
            Some("open".into()),
            Some("high".into()),
            Some("low".into()),
            Some("close".into()),
            Some("volume".into())
        ]
    );
    let ds = datasets::import(&ctx, req(&binance), |_| {}).await.unwrap();
    assert_eq!(ds.bars, 2);
    assert!(ds.first.starts_with("2024-01-02"), "{}", ds.first);

    let mt = dir.path().join("EURUSD_H1.csv");
    std::fs::write(
        &mt,
        "<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>\n\
         2024.01.02\t00:00:00\t1.10427\t1.10481\t1.10395\t1.10440\t2321\t0\t10\n",
    )
    .unwrap();
    let p = datasets::preview(mt.to_str().unwrap()).unwrap();
    assert_eq!(
        p.layout,
        "MetaTrader history export (<DATE> and <TIME> columns), tab-separated"
    );
    assert!(p.missing.is_empty(), "{:?}", p.missing);
    let roles: Vec<_> = p.columns.iter().map(|c| c.role.as_deref()).collect();
    assert_eq!(
        roles,
        [
            Some("time"),
            Some("time"),
            Some("open"),
            Some("high"),
            Some("low"),
            Some("close"),
            Some("volume"),
            None,
            None
        ]
    );
    let ds = datasets::import(&ctx, req(&mt), |_| {}).await.unwrap();
    assert_eq!(ds.bars, 1);
}

#[tokio::test]
async fn a_parquet_file_previews_and_imports_like_its_csv() {
    use std::sync::Arc;

    use arrow_array::{ArrayRef, Float64Array, RecordBatch, TimestampMillisecondArray};

    let (dir, ctx, _) = fresh().await;
    let day = 86_400_000i64;
    let t0 = 1_704_153_600_000i64;
    let f = |v: [f64; 3]| Arc::new(Float64Array::from(v.to_vec())) as ArrayRef;
    let batch = RecordBatch::try_from_iter([
        (
            "__index_level_0__",
            Arc::new(TimestampMillisecondArray::from(vec![
                t0,
                t0 + day,
                t0 + 2 * day,
            ])) as ArrayRef,
        ),
        ("Open", f([10.0, 11.0, 12.0])),
        ("High", f([11.0, 12.0, 13.0])),
        ("Low", f([9.0, 10.0, 11.0])),
        ("Close", f([10.5, 11.5, 12.5])),
        ("Volume", f([100.0, 200.0, 300.0])),
    ])
    .unwrap();
    let pq = dir.path().join("prices.parquet");
    let mut w = parquet::arrow::ArrowWriter::try_new(
        std::fs::File::create(&pq).unwrap(),
        batch.schema(),
        None,
    )
    .unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();

    let p = datasets::preview(pq.to_str().unwrap()).unwrap();
    assert_eq!(p.layout, "Parquet file");
    assert!(p.missing.is_empty(), "{:?}", p.missing);
    assert_eq!(p.rows.len(), 3);
    let ds = datasets::import(&ctx, req(&pq), |_| {}).await.unwrap();
    assert_eq!(ds.bars, 3);
    assert!(ds.first.starts_with("2024-01-02"), "{}", ds.first);
    let bars = datasets::load(&ctx, &ds.id).unwrap();
    assert_eq!(bars.close(), &[10.5, 11.5, 12.5]);
}
