namespace Recorder.Export;

internal interface IEventExporter
{
    void WriteHeader(RecordingHeader header);

    void Write(RecordedEvent recorded);

    void Complete();
}
