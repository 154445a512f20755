namespace StyleAlign.Trainers; internal static class TrainersAssembly { }
